#:project ../../src/Llambda.Models/Llambda.Models.csproj
#:property PublishAot=false
#:property AllowUnsafeBlocks=true
// Compares our forward pass tensor by tensor with a dump of llama.cpp's (tracer.c, see README.md): for each
// intermediate tensor, how many values differ in their bits, the largest difference and the first differing
// (token column, element). The first line with ndiff > 0 names the op to look at.
//   dotnet run bench/reference/trace-compare.cs -- MODEL.gguf TRACE.bin PROMPT_IDS BATCH [DECODE_IDS]
// PROMPT_IDS / DECODE_IDS: comma-separated token ids. BATCH: our prefill batch (use the tracer's: 512 for one
// batch, 1 for token by token). With DECODE_IDS, those tokens are decoded one at a time after the prompt and the
// last one is compared (the tracer dumps the same call).
using Llambda.Gguf;
using Llambda.Models;
using Llambda.Tensors;

string modelPath = args[0], tracePath = args[1];
int[] prompt = args[2].Split(',').Select(int.Parse).ToArray();
int maxBatch = int.Parse(args[3]);
int[] decode = args.Length > 4 && args[4].Length > 0 ? args[4].Split(',').Select(int.Parse).ToArray() : [];

// tracer.c's format: 64-byte name, 4 x int64 ne, ne0*ne1*ne2*ne3 floats; the last tensor of a name wins
var reference = new Dictionary<string, (long[] Ne, float[] Data)>();
using (var fs = File.OpenRead(tracePath))
using (var br = new BinaryReader(fs))
{
    while (fs.Position < fs.Length)
    {
        string name = System.Text.Encoding.ASCII.GetString(br.ReadBytes(64)).TrimEnd('\0');
        var ne = new long[4];
        for (int i = 0; i < 4; i++) ne[i] = br.ReadInt64();
        var data = new float[ne[0] * ne[1] * ne[2] * ne[3]];
        Buffer.BlockCopy(br.ReadBytes(data.Length * 4), 0, data, 0, data.Length * 4);
        reference[name] = (ne, data);
    }
}

using var pool = new WorkerPool(1);
using var file = GgufFile.Open(modelPath);
var model = Transformer.Load(file, pool);
var cache = new KvCache(model.Config, prompt.Length + decode.Length);
var buffers = new ForwardBuffers(model.Config, maxBatch);
var logits = new float[model.VocabSize];

void Compare(string name, ReadOnlySpan<float> ours)
{
    if (!reference.TryGetValue(name, out var r)) { Console.WriteLine($"{name,-16} not in the trace"); return; }
    // llama.cpp keeps only the output token's rows after the last layer's attention: align on the last columns
    int len = Math.Min(r.Data.Length, ours.Length);
    int o0 = ours.Length - len, r0 = r.Data.Length - len, row = (int)r.Ne[0];
    int ndiff = 0, first = -1;
    float maxd = 0;
    for (int i = 0; i < len; i++)
    {
        float a = ours[o0 + i], b = r.Data[r0 + i];
        if (BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b)) continue;
        ndiff++;
        if (first < 0) first = i;
        maxd = Math.Max(maxd, Math.Abs(a - b));
    }
    string where = first < 0 ? "" : $"  first: column {first / row} element {first % row}, ours {ours[o0 + first]:R} llama.cpp {r.Data[r0 + first]:R}";
    Console.WriteLine($"{name,-16} n={len,8} ndiff={ndiff,7} maxdiff={maxd:E2}{where}");
}

// only the last llama_decode call is in the trace: run everything before it untraced
int last = decode.Length > 0 ? 0 : prompt.Length % maxBatch == 0 ? maxBatch : prompt.Length % maxBatch;
int untraced = prompt.Length - last;
if (untraced > 0) model.Forward(prompt.AsSpan(0, untraced), 0, cache, buffers, logits);
if (decode.Length == 0) buffers.Trace = Compare;
if (last > 0) model.Forward(prompt.AsSpan(untraced), untraced, cache, buffers, logits);
for (int i = 0; i < decode.Length; i++)
{
    if (i == decode.Length - 1) buffers.Trace = Compare;
    model.Forward([decode[i]], prompt.Length + i, cache, buffers, logits);
}
Compare("final_logits", logits);
