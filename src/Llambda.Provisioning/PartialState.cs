using System.Text.Json;
using System.Text.Json.Serialization;

namespace Llambda.Provisioning;

/// <summary>
/// The sidecar of a <c>.partial</c> file: which remote file it belongs to (source, size, ETag) and which byte ranges
/// are already written. A later run resumes only when all three still match; otherwise it starts over.
/// </summary>
public sealed record PartialState
{
    public required string Source { get; init; }
    public long? Length { get; init; }
    public string? ETag { get; init; }

    /// <summary>Written byte ranges as [start, end) pairs.</summary>
    public long[][] Completed { get; init; } = [];

    /// <summary>True when this sidecar describes the same remote bytes.</summary>
    public bool Matches(string source, long? length, string? etag) =>
        Source == source && Length is not null && Length == length && ETag == etag;

    /// <summary>The sidecar at <paramref name="path"/>, or null when missing or unreadable (a torn write is just no resume).</summary>
    public static PartialState? Load(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), PartialStateJson.Default.PartialState) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Writes the sidecar atomically (temp file + rename) so a crash never leaves half a JSON document.</summary>
    public void Save(string path)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, PartialStateJson.Default.PartialState));
        File.Move(temp, path, overwrite: true);
    }

    public static PartialState From(string source, long? length, string? etag, ByteRangeSet completed) => new()
    {
        Source = source,
        Length = length,
        ETag = etag,
        Completed = completed.ToArray().Select(r => new[] { r.Start, r.End }).ToArray(),
    };

    public ByteRangeSet ToRangeSet() =>
        new(Completed.Where(r => r.Length == 2 && r[0] >= 0 && r[1] <= (Length ?? 0)).Select(r => (r[0], r[1])));
}

[JsonSerializable(typeof(PartialState))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class PartialStateJson : JsonSerializerContext;
