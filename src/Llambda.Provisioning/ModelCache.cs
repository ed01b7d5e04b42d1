using System.Security.Cryptography;
using System.Text;

namespace Llambda.Provisioning;

/// <summary>
/// The download cache: one file per (reference, pin), under human-readable names that mirror where the model came
/// from, e.g. <c>hf/ggml-org/models/main/tinyllamas/stories260K.gguf</c>, <c>s3/my-bucket/models/x.gguf</c> or
/// <c>http/example.com/files/x.gguf</c>. A pinned reference gets its own <c>sha256-&lt;16 hex&gt;</c> folder so that a
/// pin never matches a file fetched without one (or with another).
/// </summary>
public sealed class ModelCache
{
    public ModelCache(string root) => Root = Path.GetFullPath(root);

    /// <summary>The cache used when none is configured (see <see cref="ModelLocator.DefaultCacheDirectory"/>).</summary>
    public static ModelCache Default => new(ModelLocator.DefaultCacheDirectory());

    public string Root { get; }

    /// <summary>The cache entry for a remote reference (nothing is created on disk).</summary>
    public CacheEntry EntryFor(ModelReference reference)
    {
        if (!reference.IsRemote) throw new ArgumentException($"'{reference}' is a local model; only downloads are cached.");
        var segments = new List<string>();
        switch (reference.Kind)
        {
            case ModelSourceKind.HuggingFace:
                segments.Add("hf");
                segments.AddRange(reference.Repository!.Split('/'));
                segments.Add(reference.Revision!);
                segments.AddRange(reference.Key!.Split('/'));
                break;
            case ModelSourceKind.S3:
                segments.Add("s3");
                segments.Add(reference.Bucket!);
                segments.AddRange(reference.Key!.Split('/'));
                break;
            case ModelSourceKind.Http:
                Uri url = reference.Url!;
                segments.Add("http");
                segments.Add(url.IsDefaultPort ? url.Host : $"{url.Host}_{url.Port}");
                segments.AddRange(Uri.UnescapeDataString(url.AbsolutePath).Split('/', StringSplitOptions.RemoveEmptyEntries));
                if (QueryKey(url) is { } query)
                    segments[^1] = $"{query}-{segments[^1]}"; // distinct files behind one path (?file=a, ?file=b)
                break;
        }
        if (reference.Sha256 is { } sha) segments.Insert(segments.Count - 1, "sha256-" + sha[..16]);
        string path = Path.Combine([Root, .. segments.Where(s => s.Length > 0).Select(Sanitize)]);
        return new CacheEntry(path);
    }

    // Presigned URLs carry a fresh signature each time; leaving X-Amz-* out keeps them on one cache entry.
    private static string? QueryKey(Uri url)
    {
        string[] kept = url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToArray();
        if (kept.Length == 0) return null;
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('&', kept)));
        return Convert.ToHexStringLower(digest, 0, 4);
    }

    // Every segment becomes one safe file name: no separators, no "..", nothing the file system rejects.
    private static string Sanitize(string segment)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var sb = new StringBuilder(segment.Length);
        foreach (char c in segment) sb.Append(invalid.Contains(c) || c is ':' or '\\' or '*' or '?' or '"' or '<' or '>' or '|' ? '_' : c);
        string s = sb.ToString();
        if (s is "." or "..") s = "_" + s;
        return s.Length > 200 ? s[..200] : s;
    }
}

/// <summary>
/// The files of one cache entry: the model itself (present only when complete and verified), the <c>.partial</c> file
/// being written, its <c>.partial.json</c> sidecar (what is already there, for resuming) and the <c>.lock</c> file.
/// </summary>
public sealed record CacheEntry(string FilePath)
{
    public string PartialPath => FilePath + ".partial";
    public string StatePath => FilePath + ".partial.json";
    public string LockPath => FilePath + ".lock";
    public bool IsComplete => File.Exists(FilePath);

    /// <summary>Removes the partial file and its sidecar (after a digest mismatch or when the source changed).</summary>
    public void DeletePartial()
    {
        File.Delete(PartialPath);
        File.Delete(StatePath);
    }
}
