namespace Llambda.Provisioning.Tests;

public class ModelReferenceTests
{
    private const string Pin = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("stories260K")]
    [InlineData("./models/x.gguf")]
    [InlineData("/abs/path/x.gguf")]
    public void BareNamesAndPathsAreLocal(string text)
    {
        var r = ModelReference.Parse(text);
        Assert.Equal(ModelSourceKind.Local, r.Kind);
        Assert.False(r.IsRemote);
        Assert.Equal(text, r.Location);
        Assert.Null(r.Sha256);
    }

    [Theory]
    [InlineData(null, "stories260K")]
    [InlineData("stories260K", "stories260K")]
    [InlineData("/abs/path/tiny.GGUF", "tiny")]
    [InlineData("https://example.com/files/tiny%20model.gguf?x=1", "tiny model")]
    [InlineData("s3://bucket/models/qwen.gguf", "qwen")]
    [InlineData("hf://org/repo/sub/smol.gguf@main#sha256=" + Pin, "smol")]
    public void ModelNameIsTheFileNameWithoutGguf(string? reference, string expected) =>
        Assert.Equal(expected, ModelReference.ModelName(reference));

    [Fact]
    public void HttpsUrl()
    {
        var r = ModelReference.Parse("https://example.com/files/tiny%20model.gguf?x=1");
        Assert.Equal(ModelSourceKind.Http, r.Kind);
        Assert.Equal("example.com", r.Url!.Host);
        Assert.Equal("tiny model.gguf", r.FileName);
    }

    [Fact]
    public void S3Url()
    {
        var r = ModelReference.Parse("s3://my-bucket/models/q4/x.gguf");
        Assert.Equal(ModelSourceKind.S3, r.Kind);
        Assert.Equal("my-bucket", r.Bucket);
        Assert.Equal("models/q4/x.gguf", r.Key);
        Assert.Equal("x.gguf", r.FileName);
    }

    [Fact]
    public void HuggingFaceWithAndWithoutRevision()
    {
        var r = ModelReference.Parse("hf://ggml-org/models/tinyllamas/stories260K.gguf");
        Assert.Equal(ModelSourceKind.HuggingFace, r.Kind);
        Assert.Equal("ggml-org/models", r.Repository);
        Assert.Equal("tinyllamas/stories260K.gguf", r.Key);
        Assert.Equal("main", r.Revision);
        Assert.Equal("https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf",
            r.HuggingFaceUrl("https://huggingface.co").ToString());

        var pinned = ModelReference.Parse("hf://org/repo/file.gguf@v1.0");
        Assert.Equal("v1.0", pinned.Revision);
        Assert.Equal("file.gguf", pinned.Key);
        Assert.Equal("http://127.0.0.1:5000/org/repo/resolve/v1.0/file.gguf", pinned.HuggingFaceUrl("http://127.0.0.1:5000/").ToString());
    }

    [Theory]
    [InlineData("https://example.com/x.gguf")]
    [InlineData("s3://bucket/x.gguf")]
    [InlineData("hf://org/repo/x.gguf@main")]
    [InlineData("./x.gguf")]
    public void DigestPinOnEveryForm(string location)
    {
        var r = ModelReference.Parse($"{location}#sha256={Pin.ToUpperInvariant()}");
        Assert.Equal(Pin, r.Sha256); // normalised to lowercase
        Assert.Equal(location, r.Location);
        Assert.Equal($"{location}#sha256={Pin}", r.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ftp://host/x.gguf", "scheme 'ftp://' is not supported")]
    [InlineData("s3://bucket", "expected s3://bucket/key")]
    [InlineData("s3://bucket/", "expected s3://bucket/key")]
    [InlineData("s3://Bad_Bucket/x.gguf", "not a valid S3 bucket name")]
    [InlineData("s3://bucket/dir/", "names a folder")]
    [InlineData("hf://org/x.gguf", "expected hf://org/repo/path/to/file.gguf")]
    [InlineData("hf://org/repo/x.gguf@", "revision after '@' is empty")]
    [InlineData("hf://org/../x.gguf", "expected hf://org/repo")]
    [InlineData("https://example.com/", "names no file")]
    [InlineData("https://example.com/x.gguf#md5=abc", "must be 'sha256='")]
    [InlineData("https://example.com/x.gguf#sha256=abc", "64 hex digits, got 3")]
    [InlineData("#sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "nothing before")]
    public void MalformedReferencesSayWhatIsWrong(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelReference.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"Invalid model reference '{text}'", e.Message);
        Assert.False(ModelReference.TryParse(text, out _));
    }

    [Fact]
    public void CacheNamesAreReadableAndDistinct()
    {
        var cache = new ModelCache("/cache");
        Assert.Equal("/cache/hf/org/repo/main/dir/x.gguf", cache.EntryFor(ModelReference.Parse("hf://org/repo/dir/x.gguf")).FilePath);
        Assert.Equal("/cache/s3/bucket/a/x.gguf", cache.EntryFor(ModelReference.Parse("s3://bucket/a/x.gguf")).FilePath);
        Assert.Equal("/cache/http/example.com/f/x.gguf", cache.EntryFor(ModelReference.Parse("https://example.com/f/x.gguf")).FilePath);
        Assert.Equal("/cache/http/127.0.0.1_8080/x.gguf", cache.EntryFor(ModelReference.Parse("http://127.0.0.1:8080/x.gguf")).FilePath);
        Assert.Equal($"/cache/s3/bucket/a/sha256-{Pin[..16]}/x.gguf", cache.EntryFor(ModelReference.Parse($"s3://bucket/a/x.gguf#sha256={Pin}")).FilePath);

        // Presigned signatures do not change the entry; real query parameters do.
        var a = cache.EntryFor(ModelReference.Parse("https://h/x.gguf?X-Amz-Signature=1&X-Amz-Date=2")).FilePath;
        var b = cache.EntryFor(ModelReference.Parse("https://h/x.gguf?X-Amz-Signature=3&X-Amz-Date=4")).FilePath;
        var c = cache.EntryFor(ModelReference.Parse("https://h/x.gguf?file=other")).FilePath;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.EndsWith("x.gguf", c);

        // Nothing escapes the cache root.
        var sneaky = cache.EntryFor(ModelReference.Parse("https://h/%2e%2e/%2e%2e/etc/passwd")).FilePath;
        Assert.StartsWith("/cache/http/h/", Path.GetFullPath(sneaky));
    }
}
