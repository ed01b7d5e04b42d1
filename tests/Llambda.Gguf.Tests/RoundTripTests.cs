using Llambda.Gguf;
using Llambda.Testing;

namespace Llambda.Gguf.Tests;

/// <summary>Reading a model and writing it back with our writer gives a file that reads back identical.</summary>
public class RoundTripTests
{
    public static TheoryData<string> Models => new(SharedData.AllModels().Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Models))]
    public void Read_write_read_is_identical(string fileName)
    {
        string output = Path.Combine(Path.GetTempPath(), $"llambda-rt-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var original = GgufFile.Open(SharedData.Model(fileName)))
            {
                var writer = new GgufWriter();
                foreach (var (key, value) in original.Metadata) writer.Metadata.Set(key, value);
                foreach (var t in original.Tensors)
                {
                    var tensor = t;
                    writer.AddTensor(t.Name, t.Type, t.Dimensions, s => s.Write(original.GetTensorBytes(tensor)));
                }
                writer.WriteTo(output);
            }

            using var a = GgufFile.Open(SharedData.Model(fileName));
            using var b = GgufFile.Open(output);
            Assert.Equal(3u, b.Version);
            Assert.Equal(a.Metadata.Keys, b.Metadata.Keys);
            foreach (var (key, value) in a.Metadata) Assert.True(value.Equals(b.Metadata[key]), $"metadata '{key}' differs");
            Assert.Equal(a.Tensors.Count, b.Tensors.Count);
            for (int i = 0; i < a.Tensors.Count; i++)
            {
                Assert.Equal(a.Tensors[i].Name, b.Tensors[i].Name);
                Assert.Equal(a.Tensors[i].Type, b.Tensors[i].Type);
                Assert.Equal(a.Tensors[i].Dimensions, b.Tensors[i].Dimensions);
                Assert.True(a.GetTensorBytes(a.Tensors[i]).SequenceEqual(b.GetTensorBytes(b.Tensors[i])), $"tensor {a.Tensors[i].Name} bytes differ");
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Every_value_type_and_nested_arrays_round_trip()
    {
        var w = new GgufWriter();
        var md = w.Metadata;
        md.Set("u8", GgufValue.FromUInt8(200));
        md.Set("i8", GgufValue.FromInt8(-100));
        md.Set("u16", GgufValue.FromUInt16(60000));
        md.Set("i16", GgufValue.FromInt16(-30000));
        md.Set("u32", GgufValue.FromUInt32(4_000_000_000));
        md.Set("i32", GgufValue.FromInt32(-2_000_000_000));
        md.Set("f32", GgufValue.FromFloat32(3.25f));
        md.Set("bool", GgufValue.FromBool(true));
        md.Set("str", GgufValue.FromString("héllo ▁ 🦙"));
        md.Set("u64", GgufValue.FromUInt64(ulong.MaxValue));
        md.Set("i64", GgufValue.FromInt64(long.MinValue));
        md.Set("f64", GgufValue.FromFloat64(Math.PI));
        md.Set("ints", GgufValue.FromInt32s([1, -2, 3]));
        md.Set("bools", GgufValue.FromArray(GgufValueType.Bool, new[] { true, false }));
        md.Set("nested", GgufValue.FromArray(GgufValueType.Array, new[]
        {
            GgufValue.FromStrings(["a", "b"]),
            GgufValue.FromArray(GgufValueType.Array, new[] { GgufValue.FromFloat32s([1.5f]) }),
        }));
        md.Set("general.alignment", GgufValue.FromUInt32(64));
        w.AddTensor("t", GgmlType.F32, [3, 2], new byte[24]);
        w.AddTensor("q", GgmlType.Q8_0, [32], Enumerable.Range(0, 34).Select(i => (byte)i).ToArray());
        var ms = new MemoryStream();
        w.WriteTo(ms);

        using var file = GgufFile.FromBytes(ms.ToArray());
        foreach (var (key, value) in md) Assert.True(value.Equals(file.Metadata[key]), key);
        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.Equal(4_000_000_000u, file.Metadata.GetUInt32("u32"));
        Assert.Throws<InvalidDataException>(() => file.Metadata.GetInt32("u32")); // out of int range
        Assert.Equal(Enumerable.Range(0, 34).Select(i => (byte)i).ToArray(), file.GetTensorBytes(file.GetTensor("q")).ToArray());
    }

    [Fact]
    public void Writer_refuses_rows_that_are_not_whole_blocks()
    {
        var w = new GgufWriter();
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.Q4_0, [33], new byte[20]));
    }
}
