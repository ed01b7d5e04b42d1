namespace Llambda.Provisioning;

/// <summary>
/// An exclusive lock on a cache entry, held across processes: a <c>.lock</c> file opened with
/// <see cref="FileShare.None"/> (an OS-level lock on Windows, <c>flock</c> on Linux and macOS). The operating system
/// releases it when the process dies, so a crashed download never blocks the next one.
/// </summary>
public sealed class CacheLock : IAsyncDisposable, IDisposable
{
    private readonly FileStream _stream;

    private CacheLock(FileStream stream) => _stream = stream;

    public string Path => _stream.Name;

    /// <summary>Takes the lock, waiting (polling) while another process or thread holds it.</summary>
    /// <param name="onWaiting">Called once if the lock is busy, so callers can say why they pause.</param>
    public static async Task<CacheLock> AcquireAsync(string lockPath, Action? onWaiting = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(lockPath))!);
        var delay = TimeSpan.FromMilliseconds(20);
        bool told = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAcquire(lockPath) is { } acquired) return acquired;
            if (!told)
            {
                onWaiting?.Invoke();
                told = true;
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            // Back off to 250 ms: a download can take minutes and the holder gains nothing from us spinning.
            delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 2));
        }
    }

    /// <summary>Takes the lock if it is free; null when someone else holds it.</summary>
    public static CacheLock? TryAcquire(string lockPath)
    {
        try
        {
            return new CacheLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None));
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            return null; // a sharing violation: held elsewhere
        }
    }

    // The .lock file itself stays: deleting it would let a waiter that already opened the old file and a newcomer
    // that creates a new one both believe they hold the lock.
    public void Dispose() => _stream.Dispose();

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
