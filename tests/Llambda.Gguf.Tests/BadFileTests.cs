using Llambda.Gguf;
using Llambda.Testing;

namespace Llambda.Gguf.Tests;

/// <summary>Files we must refuse, each with our exception naming the file, the offset and the problem.</summary>
public class BadFileTests
{
    [Fact]
    public void Version_1_is_refused_naming_the_version()
    {
        string path = Path.Combine(SharedData.ModelsDir, "bad", "stories260k-gguf-v1.gguf");
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path));
        Assert.Contains("version 1", e.Message);
        Assert.Equal(path, e.FilePath);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void Rows_that_are_not_whole_blocks_are_refused()
    {
        string path = Path.Combine(SharedData.ModelsDir, "bad", "stories260k-q8_0-misaligned-rows.gguf");
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path));
        Assert.Contains("ffn_down", e.Message);
        Assert.Contains("172", e.Message);
        Assert.Contains("Q8_0", e.Message);
    }

    [Fact]
    public void Not_a_gguf_file()
    {
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes("PK\x03\x04 this is a zip"u8, "x.zip"));
        Assert.Contains("not a GGUF file", e.Message);
    }

    [Fact]
    public void Empty_and_short_files()
    {
        Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes([], "empty"));
        Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes("GGUF"u8, "short"));
        string temp = Path.GetTempFileName();
        try
        {
            Assert.Throws<GgufFormatException>(() => GgufFile.Open(temp)); // zero-length file on disk
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [Fact]
    public void Truncated_download_names_the_tensor_that_runs_past_the_end()
    {
        byte[] bytes = File.ReadAllBytes(SharedData.Model("stories260K.gguf"));
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(bytes.AsSpan(0, bytes.Length - 100), "cut.gguf"));
        Assert.Contains("runs past the end", e.Message);
        Assert.Contains("tensor '", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Big_endian_files_are_recognised()
    {
        byte[] bytes = File.ReadAllBytes(SharedData.Model("stories260K.gguf"))[..64];
        bytes[4] = 0; bytes[5] = 0; bytes[6] = 0; bytes[7] = 3;
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(bytes, "be.gguf"));
        Assert.Contains("big-endian", e.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_file_not_found()
    {
        var e = Assert.Throws<FileNotFoundException>(() => GgufFile.Open("/nonexistent/model.gguf"));
        Assert.Contains("/nonexistent/model.gguf", e.Message);
    }

    [Fact]
    public void Huge_counts_are_refused_before_allocating()
    {
        var w = new GgufWriter();
        w.Metadata.Set("a", GgufValue.FromStrings(["x", "y"]));
        var ms = new MemoryStream();
        w.WriteTo(ms);
        byte[] bytes = ms.ToArray();
        // Header: magic(4) version(4) tensors(8) kvs(8); key "a": len(8) + 1; type(4); element type(4); count(8) at 41.
        BitConverter.TryWriteBytes(bytes.AsSpan(41), ulong.MaxValue / 2);
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(bytes, "huge.gguf"));
        Assert.Contains("cannot fit", e.Message);
        Assert.Equal(41, e.Offset);
    }
}
