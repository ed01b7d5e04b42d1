using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using Polly;
using Polly.Retry;

namespace Llambda.Provisioning;

/// <summary>What a finished download produced.</summary>
/// <param name="Length">The file's size.</param>
/// <param name="BytesFetched">Bytes fetched by this run (less than <paramref name="Length"/> after a resume).</param>
/// <param name="Sha256">The file's digest, lowercase hex (null when not pinned and <see cref="ProvisioningOptions.ComputeDigest"/> is off).</param>
/// <param name="Parallel">False when the server had no range support and the file came in one stream.</param>
public sealed record DownloadResult(long Length, long BytesFetched, string? Sha256, TimeSpan Elapsed, bool Parallel);

/// <summary>
/// Fetches one remote file into a cache entry's <c>.partial</c> file: parallel ranged GETs (N parts of a fixed
/// size, each retried with exponential backoff and jitter, resuming from its last written byte), a sidecar that
/// lets the next run skip what is already there, and a sha256 computed while the download runs. The partial file
/// becomes the model file only by an atomic rename once every byte is present and the digest checks out.
/// </summary>
/// <remarks>
/// Hashing: parts land out of order, and sha256 must see the bytes in order. A hasher task therefore follows the
/// file's contiguous prefix (every byte from 0 that is on disk) and reads it back while later parts still download;
/// those reads come from the page cache, so the digest is ready moments after the last byte lands. After a resume
/// it first hashes what the earlier run wrote. Servers without range support stream the file once, hashed inline.
/// The caller holds the entry's <see cref="CacheLock"/>.
/// </remarks>
public sealed class RangedDownloader
{
    private const int BufferSize = 256 << 10;
    private readonly ProvisioningOptions _options;
    private readonly ResiliencePipeline _retry;

    public RangedDownloader(ProvisioningOptions options)
    {
        options.Validate();
        _options = options;
        _retry = options.MaxRetries == 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ModelDownloadException>(e => e.IsTransient),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true, // parallel parts failing together should not retry in lockstep
                Delay = options.RetryDelay,
                MaxDelay = TimeSpan.FromSeconds(20),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    _options.Log?.Invoke($"retrying in {args.RetryDelay.TotalSeconds:0.0} s: {args.Outcome.Exception?.Message}");
                    return default;
                },
            })
            .Build();
    }

    private int _retries;

    /// <summary>How many times a request has been retried by this downloader (for logs and tests).</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Downloads <paramref name="source"/> into <paramref name="entry"/> and renames it into place.</summary>
    /// <param name="expectedSha256">The pinned digest (lowercase hex), or null to accept any content.</param>
    public async Task<DownloadResult> DownloadAsync(ModelSource source, CacheEntry entry, string? expectedSha256, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(Path.GetDirectoryName(entry.FilePath)!);
        RemoteFileInfo? info = null;
        try
        {
            info = await _retry.ExecuteAsync(ct => new ValueTask<RemoteFileInfo>(source.ProbeAsync(ct)), cancellationToken).ConfigureAwait(false);
            var progress = new ProgressReporter(source.Description, info.Length, _options.Progress, clock);
            bool hash = expectedSha256 is not null || _options.ComputeDigest;
            (string? sha256, long fetched, bool parallel) = info.SupportsRanges && info.Length is long length
                ? await DownloadRangesAsync(source, entry, info, length, hash, progress, cancellationToken).ConfigureAwait(false)
                : await DownloadStreamAsync(source, entry, info, hash, progress, cancellationToken).ConfigureAwait(false);

            if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                entry.DeletePartial();
                throw new ModelDigestMismatchException(source.Description, expectedSha256, sha256!);
            }
            File.Move(entry.PartialPath, entry.FilePath, overwrite: true);
            File.Delete(entry.StatePath);
            long size = new FileInfo(entry.FilePath).Length;
            progress.Finish(size);
            return new DownloadResult(size, fetched, sha256, clock.Elapsed, parallel);
        }
        catch (ModelDownloadException e) when (e.DiscardPartial)
        {
            entry.DeletePartial();
            throw;
        }
        catch (ModelDownloadException e) when (e.IsTransient)
        {
            // Retries are spent: say so, and keep the partial file for the next attempt to resume.
            throw new ModelDownloadException($"{e.Message} Gave up after {Retries} retries; the partial download is kept and the next pull resumes it.", e)
            {
                StatusCode = e.StatusCode,
            };
        }
        finally
        {
            info?.Body?.Dispose();
        }
    }

    private async Task<(string? Sha256, long Fetched, bool Parallel)> DownloadRangesAsync(
        ModelSource source, CacheEntry entry, RemoteFileInfo info, long length, bool hash, ProgressReporter progress, CancellationToken cancellationToken)
    {
        info.Body?.Dispose();

        // Resume only what provably belongs to the same remote bytes: same source, size and ETag.
        PartialState? saved = PartialState.Load(entry.StatePath);
        ByteRangeSet done;
        if (saved is not null && saved.Matches(source.Description, length, info.ETag) && File.Exists(entry.PartialPath))
        {
            done = saved.ToRangeSet();
            if (done.Count > 0) _options.Log?.Invoke($"resuming: {DiskSpace.Format(done.Count)} of {DiskSpace.Format(length)} already downloaded");
        }
        else
        {
            entry.DeletePartial();
            done = new ByteRangeSet();
        }
        progress.Start(done.Count);
        DiskSpace.EnsureAvailable(Path.GetDirectoryName(entry.FilePath)!, length - done.Count, _options.AvailableBytesOverride);

        using SafeFileHandle file = File.OpenHandle(entry.PartialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
        if (RandomAccess.GetLength(file) != length) RandomAccess.SetLength(file, length);

        var landed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<string?> hashing = hash ? HashPrefixAsync(file, length, done, landed.Reader, stop.Token) : Task.FromResult<string?>(null);
        Task saving = SaveStatePeriodicallyAsync(entry, source.Description, length, info.ETag, done, stop.Token);
        Task reporting = progress.RunAsync(stop.Token);
        try
        {
            var parts = done.Gaps(length, _options.PartSize);
            await Parallel.ForEachAsync(parts, new ParallelOptions { MaxDegreeOfParallelism = _options.ParallelStreams, CancellationToken = cancellationToken },
                async (part, ct) => await FetchPartAsync(source, info, file, part.Start, part.End, done, landed.Writer, progress, ct).ConfigureAwait(false))
                .ConfigureAwait(false);
            landed.Writer.TryComplete();
            return (await hashing.ConfigureAwait(false), progress.Fetched, Parallel: true);
        }
        finally
        {
            landed.Writer.TryComplete();
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(hashing, saving, reporting).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            if (File.Exists(entry.PartialPath))
                PartialState.From(source.Description, length, info.ETag, done).Save(entry.StatePath);
        }
    }

    /// <summary>Fetches [<paramref name="start"/>, <paramref name="end"/>); each retry asks only for the bytes not yet written.</summary>
    private async Task FetchPartAsync(ModelSource source, RemoteFileInfo info, SafeFileHandle file, long start, long end,
        ByteRangeSet done, ChannelWriter<bool> landed, ProgressReporter progress, CancellationToken cancellationToken)
    {
        long position = start;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await _retry.ExecuteAsync(async ct =>
            {
                if (position >= end) return;
                using Stream body = await source.OpenRangeAsync(position, end - position, info, ct).ConfigureAwait(false);
                while (position < end)
                {
                    int read = await ReadChunkAsync(body, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - position)), source, ct).ConfigureAwait(false);
                    if (read == 0)
                        throw new ModelDownloadException($"GET {source.Description}: the connection closed at byte {position:N0}, before byte {end:N0}.") { IsTransient = true };
                    await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), position, ct).ConfigureAwait(false);
                    done.Add(position, position + read);
                    position += read;
                    progress.Add(read);
                    landed.TryWrite(true);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fills as much of <paramref name="buffer"/> as arrives; a read that stalls past the timeout, or a dropped connection, is a transient error.</summary>
    private async Task<int> ReadChunkAsync(Stream body, Memory<byte> buffer, ModelSource source, CancellationToken cancellationToken)
    {
        int total = 0;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (total < buffer.Length)
        {
            stall.CancelAfter(_options.ReadTimeout);
            int n;
            try
            {
                n = await body.ReadAsync(buffer[total..], stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ModelDownloadException($"GET {source.Description}: no data for {_options.ReadTimeout.TotalSeconds:0} s.") { IsTransient = true };
            }
            catch (Exception e) when (e is IOException or HttpRequestException && e is not ModelDownloadException)
            {
                if (total > 0) return total; // keep what arrived; the next read reports the drop
                throw new ModelDownloadException($"GET {source.Description}: the connection dropped ({e.Message}).", e) { IsTransient = true };
            }
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Feeds sha256 with the file's contiguous prefix as it grows, reading back what the parts wrote.</summary>
    private static async Task<string?> HashPrefixAsync(SafeFileHandle file, long length, ByteRangeSet done, ChannelReader<bool> landed, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4 << 20);
        try
        {
            long hashed = 0;
            while (true)
            {
                long prefix = done.ContiguousPrefix;
                while (hashed < prefix)
                {
                    int n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, prefix - hashed)), hashed, cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new IOException($"The partial file ended at byte {hashed:N0} while hashing.");
                    sha.AppendData(buffer, 0, n);
                    hashed += n;
                }
                if (hashed >= length) return Convert.ToHexStringLower(sha.GetHashAndReset());
                // Wait for more bytes; when the writers finish without completing the prefix, a part failed.
                if (!await landed.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && done.ContiguousPrefix == hashed)
                    throw new OperationCanceledException("The download stopped before the file was complete.");
                landed.TryRead(out _);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // A crash (or a Lambda timeout) loses at most a couple of seconds of progress.
    private static async Task SaveStatePeriodicallyAsync(CacheEntry entry, string source, long length, string? etag, ByteRangeSet done, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                PartialState.From(source, length, etag, done).Save(entry.StatePath);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>For servers without range support: one GET of the whole file, hashed as it streams; a drop restarts it from byte 0.</summary>
    private async Task<(string? Sha256, long Fetched, bool Parallel)> DownloadStreamAsync(
        ModelSource source, CacheEntry entry, RemoteFileInfo info, bool hash, ProgressReporter progress, CancellationToken cancellationToken)
    {
        entry.DeletePartial(); // nothing to resume from without ranges
        _options.Log?.Invoke($"{source.Description} does not support byte ranges: downloading in one stream");
        if (info.Length is long length)
            DiskSpace.EnsureAvailable(Path.GetDirectoryName(entry.FilePath)!, length, _options.AvailableBytesOverride);

        Stream? first = info.Body;
        progress.Start(0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task reporting = progress.RunAsync(stop.Token);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            return await _retry.ExecuteAsync(async ct =>
            {
                Stream body = first ?? await source.OpenAllAsync(ct).ConfigureAwait(false);
                first = null;
                using (body)
                {
                    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    await using var output = new FileStream(entry.PartialPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous);
                    progress.Restart();
                    long written = 0;
                    int read;
                    while ((read = await ReadChunkAsync(body, buffer, source, ct).ConfigureAwait(false)) > 0)
                    {
                        if (hash) sha.AppendData(buffer, 0, read);
                        await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                        written += read;
                        progress.Add(read);
                    }
                    if (info.Length is long expected && written != expected)
                        throw new ModelDownloadException($"GET {source.Description}: the connection closed at byte {written:N0} of {expected:N0}.") { IsTransient = true };
                    return (hash ? Convert.ToHexStringLower(sha.GetHashAndReset()) : null, written, false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await stop.CancelAsync().ConfigureAwait(false);
            await reporting.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Counts bytes from every part and reports them to the caller's callback from one task, about ten times a second.</summary>
    private sealed class ProgressReporter(string source, long? total, IProgress<DownloadProgress>? sink, Stopwatch clock)
    {
        private long _resumed;
        private long _fetched;

        public long Fetched => Interlocked.Read(ref _fetched);

        public void Start(long alreadyOnDisk) => _resumed = alreadyOnDisk;

        public void Restart() => Interlocked.Exchange(ref _fetched, 0);

        public void Add(long bytes) => Interlocked.Add(ref _fetched, bytes);

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            if (sink is null) return;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Report(_resumed + Fetched);
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Finish(long size) => Report(size);

        private void Report(long bytesDone)
        {
            TimeSpan elapsed = clock.Elapsed;
            sink?.Report(new DownloadProgress(source, bytesDone, total, elapsed, elapsed.TotalSeconds > 0 ? Fetched / elapsed.TotalSeconds : 0));
        }
    }
}
