namespace Llambda.Provisioning;

/// <summary>What a source says about a remote file before the download starts.</summary>
/// <param name="Length">Size in bytes, or null when the server did not say (only possible without range support).</param>
/// <param name="ETag">The version tag, used to tell whether a partial file still belongs to the remote one.</param>
/// <param name="SupportsRanges">False when the server ignores <c>Range</c>: the file then comes in one stream.</param>
/// <param name="Body">When the probe already received the whole file (a server without ranges answers 200), its body; the downloader reads it instead of asking again.</param>
public sealed record RemoteFileInfo(long? Length, string? ETag, bool SupportsRanges, Stream? Body = null);

/// <summary>
/// A place models come from. A source answers three questions: how big is the file (and can I have parts of it),
/// give me bytes [offset, offset + length), give me all of it. It turns its protocol's failures into
/// <see cref="ModelDownloadException"/>s that say whether a retry can help; the <see cref="RangedDownloader"/> does
/// the rest (parallelism, retries, resume, hashing).
/// </summary>
public abstract class ModelSource : IDisposable
{
    /// <summary>The source as shown in messages (a URL without its query, or <c>s3://bucket/key</c>).</summary>
    public abstract string Description { get; }

    public abstract Task<RemoteFileInfo> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Exactly <paramref name="length"/> bytes starting at <paramref name="offset"/> (the stream may end early if the connection drops).</summary>
    public abstract Task<Stream> OpenRangeAsync(long offset, long length, RemoteFileInfo info, CancellationToken cancellationToken);

    /// <summary>The whole file in one stream, for servers without range support.</summary>
    public abstract Task<Stream> OpenAllAsync(CancellationToken cancellationToken);

    /// <summary>The source for a remote reference.</summary>
    public static ModelSource Create(ModelReference reference, ProvisioningOptions options) => reference.Kind switch
    {
        ModelSourceKind.Http => new HttpSource(reference.Url!),
        ModelSourceKind.HuggingFace => HttpSource.ForHuggingFace(reference, options),
        ModelSourceKind.S3 => new S3Source(reference.Bucket!, reference.Key!, options),
        _ => throw new ArgumentException($"'{reference}' is not a remote model reference."),
    };

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
