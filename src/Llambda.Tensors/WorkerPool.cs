using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Llambda.Tensors;

/// <summary>A unit of parallel work: processes the index range [start, end).</summary>
public interface IParallelJob
{
    void Execute(int start, int end);
}

/// <summary>
/// A small fixed pool for data-parallel loops. <c>Threads - 1</c> background workers plus the calling thread split
/// [0, n) into chunks taken from a shared counter. Workers spin briefly after each loop (decode issues many short loops
/// back to back) and then block. Nothing is allocated per loop: jobs are structs passed by reference.
/// One loop runs at a time; a loop started while another is running (or from inside a job) runs inline on its caller.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private readonly long _spinTicks;

    // the current loop
    private delegate*<void*, int, int, void> _fn;
    private void* _job;
    private int _count;
    private int _chunk;
    private Padded _next;       // next index to hand out
    private Padded _pending;    // workers still inside the current loop
    private Padded _generation; // bumped once per loop
    private int _sleepers;
    private int _busy;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _error;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct Padded
    {
        [System.Runtime.InteropServices.FieldOffset(64)] public int Value;
    }

    /// <summary>Creates a pool of <paramref name="threads"/> threads in all (the caller counts as one).</summary>
    /// <param name="threads">Total parallelism, at least 1 (0 or less: <see cref="Environment.ProcessorCount"/>).</param>
    /// <param name="spinMicroseconds">How long idle workers spin before blocking.</param>
    public WorkerPool(int threads, int spinMicroseconds = 200)
    {
        if (threads <= 0) threads = Environment.ProcessorCount;
        Threads = threads;
        _spinTicks = Math.Max(0, spinMicroseconds) * Stopwatch.Frequency / 1_000_000;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Llambda worker {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Total parallelism (background workers + the calling thread).</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <c>job.Execute</c> over [0, <paramref name="count"/>) in chunks of <paramref name="chunk"/> indices
    /// (the last may be shorter) and returns when all are done. The job struct is shared by reference with the workers.
    /// </summary>
    public void Run<TJob>(ref TJob job, int count, int chunk) where TJob : struct, IParallelJob, allows ref struct
    {
        if (count <= 0) return;
        if (chunk <= 0) chunk = Math.Max(1, count / Threads);
        if (_workers.Length == 0 || count <= chunk || _disposed || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            job.Execute(0, count);
            return;
        }
        try
        {
            Start(&JobInvoker<TJob>.Invoke, Unsafe.AsPointer(ref job), count, chunk);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Delegate form: <paramref name="body"/>(state, start, end) for each chunk. Use a static lambda to avoid allocation.</summary>
    public void Run<TState>(TState state, int count, int chunk, Action<TState, int, int> body)
    {
        var job = new DelegateJob<TState>(state, body);
        Run(ref job, count, chunk);
    }

    private readonly struct DelegateJob<TState>(TState state, Action<TState, int, int> body) : IParallelJob
    {
        public void Execute(int start, int end) => body(state, start, end);
    }

    private static class JobInvoker<TJob> where TJob : struct, IParallelJob, allows ref struct
    {
        public static void Invoke(void* job, int start, int end) => Unsafe.AsRef<TJob>(job).Execute(start, end);
    }

    private void Start(delegate*<void*, int, int, void> fn, void* job, int count, int chunk)
    {
        _fn = fn;
        _job = job;
        _count = count;
        _chunk = chunk;
        _error = null;
        Volatile.Write(ref _next.Value, 0);
        Volatile.Write(ref _pending.Value, _workers.Length);
        Interlocked.Increment(ref _generation.Value); // full fence: publishes the fields above
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate) Monitor.PulseAll(_gate);
        }

        Work();

        // wait for the workers to leave the loop (they are finishing their last chunk)
        var spinner = new SpinWait();
        while (Volatile.Read(ref _pending.Value) != 0) spinner.SpinOnce(-1);
        _job = null;
        _error?.Throw();
    }

    private void Work()
    {
        try
        {
            int count = _count, chunk = _chunk;
            var fn = _fn;
            void* job = _job;
            while (true)
            {
                int start = Interlocked.Add(ref _next.Value, chunk) - chunk;
                if (start >= count) break;
                fn(job, start, Math.Min(count, start + chunk));
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _next.Value, int.MaxValue / 2); // stop handing out work
        }
    }

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            int gen = Volatile.Read(ref _generation.Value);
            if (gen == seen)
            {
                long until = Stopwatch.GetTimestamp() + _spinTicks;
                while ((gen = Volatile.Read(ref _generation.Value)) == seen && !_disposed)
                {
                    if (Stopwatch.GetTimestamp() < until)
                    {
                        Thread.SpinWait(8);
                        continue;
                    }
                    lock (_gate)
                    {
                        Interlocked.Increment(ref _sleepers);
                        while ((gen = Volatile.Read(ref _generation.Value)) == seen && !_disposed) Monitor.Wait(_gate);
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
            }
            if (_disposed) return;
            seen = gen;
            Work();
            Interlocked.Decrement(ref _pending.Value);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _workers) t.Join();
    }
}
