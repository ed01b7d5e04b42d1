namespace Llambda.Provisioning.Tests;

public class CacheLockAndDiskTests
{
    [Fact]
    public async Task LockIsExclusiveAndWaitersGetItWhenReleased()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "sub", "x.lock");
        var first = await CacheLock.AcquireAsync(path);
        Assert.Null(CacheLock.TryAcquire(path));

        bool waited = false;
        var second = CacheLock.AcquireAsync(path, () => waited = true);
        await Task.Delay(100);
        Assert.False(second.IsCompleted);
        Assert.True(waited);
        await first.DisposeAsync();
        await using var got = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task WaitingForALockCanBeCanceled()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "x.lock");
        await using var held = await CacheLock.AcquireAsync(path);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CacheLock.AcquireAsync(path, null, cts.Token));
    }

    [Fact]
    public void DiskSpaceErrorGivesTheNumbers()
    {
        var e = Assert.Throws<InsufficientDiskSpaceException>(() => DiskSpace.EnsureAvailable("/tmp", 4_100_000_000, availableBytes: 512_000_000));
        Assert.Contains("need 4.1 GB, /tmp has 512 MB free", e.Message);
        Assert.Equal(4_100_000_000, e.NeededBytes);
        DiskSpace.EnsureAvailable("/tmp", 1000, availableBytes: 1000); // exactly enough is enough
    }

    [Fact]
    public void RealFreeSpaceIsMeasured()
    {
        using var dir = new TempDirectory();
        Assert.True(DiskSpace.AvailableBytes(dir.Path) > 0);
    }
}
