using System.Globalization;

namespace Llambda.Provisioning;

/// <summary>Where a model reference points.</summary>
public enum ModelSourceKind
{
    /// <summary>A bare name (<c>stories260K</c>) or a local path (<c>./x.gguf</c>), found by <see cref="ModelLocator"/>.</summary>
    Local,
    /// <summary>An <c>https://</c> URL (or <c>http://</c>, for loopback servers in tests and private networks).</summary>
    Http,
    /// <summary>An object in S3 or an S3-compatible store: <c>s3://bucket/key</c>.</summary>
    S3,
    /// <summary>A file in a Hugging Face repository: <c>hf://org/repo/path/file.gguf[@revision]</c>.</summary>
    HuggingFace,
}

/// <summary>
/// A parsed model reference: what a user passes to <c>-m</c> or <c>llambda pull</c>. Any of the forms may end with
/// <c>#sha256=HEX</c> to pin the file's content; a download whose digest differs is rejected.
/// </summary>
/// <example>
/// <c>stories260K</c>, <c>./models/x.gguf</c>, <c>https://host/x.gguf</c>, <c>s3://bucket/models/x.gguf</c>,
/// <c>hf://ggml-org/models/tinyllamas/stories260K.gguf@main#sha256=...</c>
/// </example>
public sealed record ModelReference
{
    /// <summary>The text this reference was parsed from, without the digest pin.</summary>
    public required string Location { get; init; }

    public required ModelSourceKind Kind { get; init; }

    /// <summary>The pinned content digest (64 lowercase hex digits), or null when the reference is not pinned.</summary>
    public string? Sha256 { get; init; }

    /// <summary>For <see cref="ModelSourceKind.Http"/>: the URL.</summary>
    public Uri? Url { get; init; }

    /// <summary>For <see cref="ModelSourceKind.S3"/>: the bucket.</summary>
    public string? Bucket { get; init; }

    /// <summary>For <see cref="ModelSourceKind.S3"/>: the object key; for <see cref="ModelSourceKind.HuggingFace"/>: the file path in the repository.</summary>
    public string? Key { get; init; }

    /// <summary>For <see cref="ModelSourceKind.HuggingFace"/>: <c>org/repo</c>.</summary>
    public string? Repository { get; init; }

    /// <summary>For <see cref="ModelSourceKind.HuggingFace"/>: the branch, tag or commit (default <c>main</c>).</summary>
    public string? Revision { get; init; }

    /// <summary>True when the model must be fetched over the network (and so goes through the cache).</summary>
    public bool IsRemote => Kind != ModelSourceKind.Local;

    /// <summary>The file name the model will have in the cache (the last path segment of the remote name).</summary>
    public string FileName => Kind switch
    {
        ModelSourceKind.Http => LastSegment(Uri.UnescapeDataString(Url!.AbsolutePath)) is { Length: > 0 } name ? name : "model.gguf",
        ModelSourceKind.S3 or ModelSourceKind.HuggingFace => LastSegment(Key!),
        _ => Path.GetFileName(Location),
    };

    /// <summary>
    /// The model name clients see for <paramref name="reference"/> (a path, name or remote reference, or none for the
    /// default model): its file name without <c>.gguf</c>.
    /// </summary>
    public static string ModelName(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) return ModelLocator.DefaultModelName;
        string name = TryParse(reference, out var parsed) && parsed is not null ? parsed.FileName : reference;
        name = Path.GetFileName(name.TrimEnd('/'));
        return name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? name[..^5] : name;
    }

    /// <summary>Parses <paramref name="text"/>, or throws an <see cref="ArgumentException"/> that says what is wrong and what is expected.</summary>
    public static ModelReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length == 0) throw Invalid(text, "it is empty");
        // A local file whose name happens to contain '#' is still a file, not a pin.
        if (!trimmed.Contains("://", StringComparison.Ordinal) && File.Exists(trimmed))
            return new ModelReference { Location = trimmed, Kind = ModelSourceKind.Local };

        (string location, string? sha256) = SplitPin(text, trimmed);
        int schemeEnd = location.IndexOf("://", StringComparison.Ordinal);
        string scheme = schemeEnd > 0 ? location[..schemeEnd].ToLowerInvariant() : "";
        return scheme switch
        {
            "" => new ModelReference { Location = location, Kind = ModelSourceKind.Local, Sha256 = sha256 },
            "http" or "https" => ParseHttp(text, location, sha256),
            "s3" => ParseS3(text, location, sha256),
            "hf" => ParseHuggingFace(text, location, sha256),
            "file" => new ModelReference { Location = new Uri(location).LocalPath, Kind = ModelSourceKind.Local, Sha256 = sha256 },
            _ => throw Invalid(text, $"the scheme '{scheme}://' is not supported; use a path, https://, s3:// or hf://"),
        };
    }

    /// <summary>Like <see cref="Parse"/> but returns false instead of throwing.</summary>
    public static bool TryParse(string text, out ModelReference? reference)
    {
        try
        {
            reference = Parse(text);
            return true;
        }
        catch (ArgumentException)
        {
            reference = null;
            return false;
        }
    }

    /// <summary>The Hugging Face download URL: <c>{endpoint}/{org}/{repo}/resolve/{revision}/{file}</c>.</summary>
    public Uri HuggingFaceUrl(string endpoint)
    {
        if (Kind != ModelSourceKind.HuggingFace) throw new InvalidOperationException($"'{Location}' is not an hf:// reference.");
        string path = string.Join('/', Key!.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{endpoint.TrimEnd('/')}/{Repository}/resolve/{Uri.EscapeDataString(Revision!)}/{path}");
    }

    public override string ToString() => Sha256 is null ? Location : $"{Location}#sha256={Sha256}";

    private static (string Location, string? Sha256) SplitPin(string original, string trimmed)
    {
        int hash = trimmed.LastIndexOf('#');
        if (hash < 0) return (trimmed, null);
        string fragment = trimmed[(hash + 1)..];
        const string prefix = "sha256=";
        if (!fragment.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            throw Invalid(original, $"the part after '#' must be 'sha256=' and 64 hex digits, got '#{fragment}'");
        string hex = fragment[prefix.Length..];
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
            throw Invalid(original, $"a sha256 pin has 64 hex digits, got {hex.Length} characters '{hex}'");
        string location = trimmed[..hash];
        if (location.Length == 0) throw Invalid(original, "there is nothing before the '#sha256=' pin");
        return (location, hex.ToLowerInvariant());
    }

    private static ModelReference ParseHttp(string original, string location, string? sha256)
    {
        if (!Uri.TryCreate(location, UriKind.Absolute, out Uri? url) || string.IsNullOrEmpty(url.Host))
            throw Invalid(original, "it is not a valid URL");
        if (url.AbsolutePath is "" or "/")
            throw Invalid(original, "the URL names no file");
        return new ModelReference { Location = location, Kind = ModelSourceKind.Http, Url = url, Sha256 = sha256 };
    }

    private static ModelReference ParseS3(string original, string location, string? sha256)
    {
        string rest = location["s3://".Length..];
        int slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
            throw Invalid(original, "expected s3://bucket/key");
        string bucket = rest[..slash], key = rest[(slash + 1)..];
        // Bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens.
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
            throw Invalid(original, $"'{bucket}' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')");
        if (key.EndsWith('/')) throw Invalid(original, "the key names a folder, not a file");
        return new ModelReference { Location = location, Kind = ModelSourceKind.S3, Bucket = bucket, Key = key, Sha256 = sha256 };
    }

    private static ModelReference ParseHuggingFace(string original, string location, string? sha256)
    {
        string rest = location["hf://".Length..];
        string revision = "main";
        // The revision follows the file name: hf://org/repo/dir/file.gguf@v1.0 (a branch, tag or commit).
        int at = rest.LastIndexOf('@');
        if (at >= 0 && at > rest.LastIndexOf('/'))
        {
            revision = rest[(at + 1)..];
            rest = rest[..at];
            if (revision.Length == 0) throw Invalid(original, "the revision after '@' is empty");
        }
        string[] parts = rest.Split('/');
        if (parts.Length < 3 || parts.Any(p => p.Length == 0 || p is "." or ".."))
            throw Invalid(original, "expected hf://org/repo/path/to/file.gguf[@revision]");
        return new ModelReference
        {
            Location = location,
            Kind = ModelSourceKind.HuggingFace,
            Repository = parts[0] + "/" + parts[1],
            Key = string.Join('/', parts[2..]),
            Revision = revision,
            Sha256 = sha256,
        };
    }

    private static string LastSegment(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static ArgumentException Invalid(string text, string why) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Invalid model reference '{text}': {why}."));
}
