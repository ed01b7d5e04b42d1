namespace Llambda.Lambda;

/// <summary>
/// When to stop generating so the answer still reaches the caller before Lambda ends the invocation. The margin is
/// the smaller of a fixed time (default 1.5 s: writing the answer, the Runtime API round trip, a GC pause) and a
/// fraction of the time the invocation had (default 25%), so a short invocation does not spend most of its time
/// idle: a 900 s invocation stops 1.5 s early, a 2 s invocation 0.5 s early.
/// </summary>
public sealed record DeadlinePolicy
{
    public static readonly DeadlinePolicy Default = new();

    /// <summary>The most time kept in hand (<c>LLAMBDA_DEADLINE_MARGIN_MS</c>).</summary>
    public TimeSpan Margin { get; init; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>The most of an invocation's time kept in hand (<c>LLAMBDA_DEADLINE_FRACTION</c>, 0..0.9).</summary>
    public double Fraction { get; init; } = 0.25;

    /// <summary>
    /// The instant generation must stop for <paramref name="invocation"/>, or null when it has no deadline.
    /// Never earlier than the moment it was received: an invocation that is already late still tries one token.
    /// </summary>
    public DateTimeOffset? StopAt(Invocation invocation)
    {
        if (invocation.Deadline is not { } deadline) return null;
        TimeSpan budget = deadline - invocation.ReceivedAt;
        if (budget <= TimeSpan.Zero) return invocation.ReceivedAt;
        TimeSpan margin = TimeSpan.FromTicks(Math.Min(Margin.Ticks, (long)(budget.Ticks * Fraction)));
        return deadline - margin;
    }

    public void Validate()
    {
        if (Margin < TimeSpan.Zero) throw new ArgumentException($"The deadline margin must be >= 0, got {Margin.TotalMilliseconds} ms.");
        if (!(Fraction >= 0 && Fraction <= 0.9)) throw new ArgumentException($"The deadline fraction must be in 0..0.9, got {Fraction}.");
    }
}
