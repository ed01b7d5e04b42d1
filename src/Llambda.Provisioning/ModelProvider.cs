using System.Diagnostics;
using System.Security.Cryptography;

namespace Llambda.Provisioning;

/// <summary>What <see cref="ModelProvider.PullAsync"/> did.</summary>
/// <param name="Path">The local model file.</param>
/// <param name="FromCache">True when nothing was downloaded (a local file, or a complete cache entry).</param>
/// <param name="Download">The download's numbers when one ran.</param>
public sealed record ProvisionResult(ModelReference Reference, string Path, bool FromCache, long Length, TimeSpan Elapsed, DownloadResult? Download);

/// <summary>
/// The one call every front end makes wherever it accepts a model (<c>-m</c>, <c>llambda pull</c>, the server's and
/// the Lambda's model setting): turn a reference into a local file. Bare names and paths go through
/// <see cref="ModelLocator"/>; URLs, <c>s3://</c> and <c>hf://</c> references are served from the cache or
/// downloaded into it, once, even when several processes ask at the same time.
/// </summary>
/// <example><code>string path = await ModelProvider.EnsureLocalAsync("hf://org/repo/model.gguf", cancellationToken: ct);</code></example>
public static class ModelProvider
{
    /// <summary>The local path of <paramref name="reference"/> (the default model when null), downloading it if needed.</summary>
    public static async Task<string> EnsureLocalAsync(string? reference, ProvisioningOptions? options = null, CancellationToken cancellationToken = default) =>
        (await PullAsync(reference, options, cancellationToken).ConfigureAwait(false)).Path;

    /// <summary>Like <see cref="EnsureLocalAsync"/>, with what happened (cache hit, bytes, speed) for summaries and logs.</summary>
    public static async Task<ProvisionResult> PullAsync(string? reference, ProvisioningOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ProvisioningOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        ModelReference parsed = ModelReference.Parse(string.IsNullOrWhiteSpace(reference) ? ModelLocator.DefaultModelName : reference);

        if (!parsed.IsRemote)
        {
            string path = ModelLocator.FromEnvironment().Resolve(parsed.Location);
            if (parsed.Sha256 is { } pin) await VerifyLocalAsync(path, pin, cancellationToken).ConfigureAwait(false);
            return new ProvisionResult(parsed, path, FromCache: true, new FileInfo(path).Length, clock.Elapsed, null);
        }

        var cache = new ModelCache(options.CacheDirectory ?? ModelLocator.DefaultCacheDirectory());
        CacheEntry entry = cache.EntryFor(parsed);
        // A complete entry was verified when it was written (and the pin is part of its path): no request at all.
        if (entry.IsComplete) return Hit(parsed, entry, clock);

        await using CacheLock cacheLock = await CacheLock.AcquireAsync(entry.LockPath,
            () => options.Log?.Invoke($"another process is downloading {parsed.Location}; waiting for it"), cancellationToken).ConfigureAwait(false);
        // The process we waited for may have finished the job.
        if (entry.IsComplete) return Hit(parsed, entry, clock);

        using ModelSource source = ModelSource.Create(parsed, options);
        var downloader = new RangedDownloader(options);
        DownloadResult result = await downloader.DownloadAsync(source, entry, parsed.Sha256, cancellationToken).ConfigureAwait(false);
        return new ProvisionResult(parsed, entry.FilePath, FromCache: false, result.Length, clock.Elapsed, result);
    }

    private static ProvisionResult Hit(ModelReference reference, CacheEntry entry, Stopwatch clock) =>
        new(reference, entry.FilePath, FromCache: true, new FileInfo(entry.FilePath).Length, clock.Elapsed, null);

    // A pinned local file is hashed every time: it is not ours, so nothing guarantees it stayed the same.
    private static async Task VerifyLocalAsync(string path, string expected, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        if (actual != expected) throw new ModelDigestMismatchException(path, expected, actual);
    }
}
