namespace Llambda.Provisioning.Tests;

public class ByteRangeSetTests
{
    [Fact]
    public void MergesTouchingAndOverlappingRanges()
    {
        var set = new ByteRangeSet();
        set.Add(10, 20);
        set.Add(30, 40);
        set.Add(20, 30);
        set.Add(35, 50);
        Assert.Equal([(10L, 50L)], set.ToArray());
        Assert.Equal(40, set.Count);
        Assert.Equal(0, set.ContiguousPrefix);
        set.Add(0, 10);
        Assert.Equal(50, set.ContiguousPrefix);
    }

    [Fact]
    public void GapsAreCutIntoParts()
    {
        var set = new ByteRangeSet([(0, 5), (12, 20)]);
        Assert.Equal([(5L, 9L), (9L, 12L), (20L, 24L), (24L, 25L)], set.Gaps(25, 4));
        Assert.Empty(new ByteRangeSet([(0, 25)]).Gaps(25, 4));
        Assert.Equal([(0L, 10L), (10L, 13L)], new ByteRangeSet().Gaps(13, 10));
    }

    [Fact]
    public void ConcurrentAddsFromManyThreads()
    {
        var set = new ByteRangeSet();
        Parallel.For(0, 1000, i => set.Add(i * 10, i * 10 + 10));
        Assert.Equal([(0L, 10_000L)], set.ToArray());
    }
}
