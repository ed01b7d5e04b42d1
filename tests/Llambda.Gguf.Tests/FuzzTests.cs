using Llambda.Gguf;
using Llambda.Testing;

namespace Llambda.Gguf.Tests;

/// <summary>
/// Truncated and byte-mutated variants of real models (fixed seed) must parse correctly or fail with our
/// <see cref="GgufFormatException"/>: never another exception type, never a hang, and never an allocation out of
/// proportion to the file (strings decode to UTF-16 and entries become objects, so the bound is four times the file
/// plus a small constant; no single array can exceed the bytes that remain, since every count is checked against them).
/// </summary>
public class FuzzTests
{
    private const int VariantsPerModel = 2_600; // x 4 models = 10,400 variants

    [Theory]
    [InlineData("stories260K.gguf", 1)]
    [InlineData("synth-llama-spm512-Q4_K_M.gguf", 2)]
    [InlineData("llama-2-tiny-random.gguf", 3)]
    [InlineData("tinyllama-v0-Q4_0.gguf", 4)]
    public void Mutated_and_truncated_files_give_a_parse_or_our_exception(string fileName, int seed)
    {
        byte[] original = File.ReadAllBytes(SharedData.Model(fileName));
        long headerEnd;
        using (var f = GgufFile.Open(SharedData.Model(fileName))) headerEnd = f.DataOffset;

        var random = new Random(seed);
        byte[] work = (byte[])original.Clone();
        int parsed = 0, refused = 0;
        for (int variant = 0; variant < VariantsPerModel; variant++)
        {
            int length = work.Length;
            var changed = new List<int>();
            switch (variant % 4)
            {
                case 0: // truncate anywhere in the header, or anywhere at all
                    length = random.Next(2) == 0 ? random.Next((int)headerEnd + 1) : random.Next(work.Length);
                    break;
                case 1: // flip a few bits in the header
                case 2:
                    for (int k = random.Next(1, 5); k > 0; k--)
                    {
                        int at = random.Next((int)headerEnd);
                        changed.Add(at);
                        work[at] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                default: // overwrite a byte with an extreme value (0x00 / 0xFF / 0x7F / 0x80) inside a count or length
                    for (int k = random.Next(1, 3); k > 0; k--)
                    {
                        int at = random.Next((int)headerEnd);
                        changed.Add(at);
                        work[at] = (byte)(new[] { 0x00, 0xFF, 0x7F, 0x80 }[random.Next(4)]);
                    }
                    break;
            }

            long limit = 4L * original.Length + (2 << 20);
            long allocated = ParseOnce(work.AsSpan(0, length), $"{fileName}#{variant}", ref parsed, ref refused);
            if (allocated > limit) // the first parse down a new path also pays for the runtime's own one-time work (JIT, resources)
                allocated = ParseOnce(work.AsSpan(0, length), $"{fileName}#{variant}", ref parsed, ref refused);
            Assert.True(allocated <= limit, $"variant {variant} allocated {allocated} bytes for a {original.Length}-byte file");

            foreach (int at in changed) work[at] = original[at];
        }
        Assert.True(refused > 0 && parsed > 0, $"expected both outcomes: {parsed} parsed, {refused} refused");
    }

    /// <summary>Parses one variant and returns the bytes it allocated; fails the test on any exception but ours.</summary>
    private static long ParseOnce(ReadOnlySpan<byte> image, string name, ref int parsed, ref int refused)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            using var file = GgufFile.FromBytes(image, name);
            // A successful parse must describe a file whose every tensor lies within the bytes we gave it.
            foreach (var t in file.Tensors)
                Assert.True(file.DataOffset + t.Offset + t.ByteSize <= image.Length, $"{name}: tensor {t.Name} out of bounds");
            parsed++;
        }
        catch (GgufFormatException)
        {
            refused++;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{name} threw {e.GetType().Name}: {e.Message}");
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
