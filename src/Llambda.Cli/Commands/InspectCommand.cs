using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Llambda.Gguf;
using Llambda.Provisioning;

namespace Llambda.Cli.Commands;

/// <summary><c>llambda inspect FILE [--json] [--ctx N]</c>: what a model is and what it takes to run it.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A .gguf file or a model name (looked up in ./models, the cache, LLAMBDA_MODEL_PATH, ../shared/models)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var ctx = new Option<int?>("--ctx") { Description = "Context length for the memory estimate (default: the model's, capped at 4096)." };
        var command = new Command("inspect", "Show a GGUF model's architecture, size, tokenizer and memory needs.") { model, json, ctx };
        command.SetAction(parse =>
        {
            string path = ModelOptionsBinder.Resolve(parse.GetValue(model));
            using var file = GgufFile.Open(path);
            var summary = GgufModelSummary.FromFile(file);
            int context = parse.GetValue(ctx) ?? Math.Min(summary.ContextLength ?? 4096, 4096);
            if (context <= 0) throw new ArgumentException($"--ctx must be positive, got {context}.");
            if (parse.GetValue(json)) WriteJson(summary, context, Console.OpenStandardOutput());
            else WriteText(summary, context, Console.Out);
            return 0;
        });
        return command;
    }

    public static void WriteText(GgufModelSummary s, int context, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        string Opt(int? v) => v?.ToString("N0", inv) ?? "-";
        o.WriteLine($"file               {s.Path}");
        o.WriteLine($"file size          {Bytes(s.FileBytes)} (GGUF v{s.GgufVersion})");
        o.WriteLine($"architecture       {s.Architecture}");
        o.WriteLine($"name               {s.Name ?? "-"}");
        o.WriteLine($"parameters         {s.ParameterCount.ToString("N0", inv)} ({Count(s.ParameterCount)})");
        o.WriteLine($"context length     {Opt(s.ContextLength)}");
        o.WriteLine($"embedding size     {Opt(s.EmbeddingLength)}");
        o.WriteLine($"layers             {Opt(s.LayerCount)}");
        o.WriteLine($"heads / KV heads   {Opt(s.HeadCount)} / {Opt(s.KvHeadCount)}");
        if (s.KeyLength is not null || s.ValueLength is not null)
            o.WriteLine($"key / value length {Opt(s.KeyLength)} / {Opt(s.ValueLength)}");
        o.WriteLine($"feed-forward size  {Opt(s.FeedForwardLength)}");
        o.WriteLine($"vocabulary         {Opt(s.VocabSize)}");
        o.WriteLine($"tokenizer          {s.TokenizerModel ?? "-"} (pre-tokenizer: {s.TokenizerPre ?? "-"})");
        o.WriteLine($"chat template      {(s.HasChatTemplate ? "yes" : "no")}");
        o.WriteLine($"tensors            {s.TensorCount}");
        foreach (var t in s.TensorTypes)
            o.WriteLine($"  {t.Type,-8} {t.Count,5} tensors  {Bytes(t.Bytes),12}");
        o.WriteLine($"memory to run      {Bytes(s.EstimatedRunBytes(context))} at context {context.ToString("N0", inv)} " +
                    $"(weights {Bytes(s.WeightBytes)} + f32 KV cache {Bytes(s.KvCacheBytes(context))})");
    }

    public static void WriteJson(GgufModelSummary s, int context, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("file", s.Path);
        w.WriteNumber("file_bytes", s.FileBytes);
        w.WriteNumber("gguf_version", s.GgufVersion);
        w.WriteString("architecture", s.Architecture);
        if (s.Name is null) w.WriteNull("name"); else w.WriteString("name", s.Name);
        w.WriteNumber("parameters", s.ParameterCount);
        void Int(string key, int? v) { if (v is int x) w.WriteNumber(key, x); else w.WriteNull(key); }
        Int("context_length", s.ContextLength);
        Int("embedding_length", s.EmbeddingLength);
        Int("layers", s.LayerCount);
        Int("heads", s.HeadCount);
        Int("kv_heads", s.KvHeadCount);
        Int("key_length", s.KeyLength);
        Int("value_length", s.ValueLength);
        Int("feed_forward_length", s.FeedForwardLength);
        Int("vocab_size", s.VocabSize);
        if (s.TokenizerModel is null) w.WriteNull("tokenizer_model"); else w.WriteString("tokenizer_model", s.TokenizerModel);
        if (s.TokenizerPre is null) w.WriteNull("tokenizer_pre"); else w.WriteString("tokenizer_pre", s.TokenizerPre);
        w.WriteBoolean("chat_template", s.HasChatTemplate);
        w.WriteNumber("tensor_count", s.TensorCount);
        w.WriteStartObject("tensor_types");
        foreach (var t in s.TensorTypes)
        {
            w.WriteStartObject(t.Type.ToString());
            w.WriteNumber("count", t.Count);
            w.WriteNumber("bytes", t.Bytes);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("memory");
        w.WriteNumber("context", context);
        w.WriteNumber("weights_bytes", s.WeightBytes);
        w.WriteNumber("kv_cache_bytes", s.KvCacheBytes(context));
        w.WriteNumber("total_bytes", s.EstimatedRunBytes(context));
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    internal static string Bytes(long n) => n switch
    {
        >= 1L << 30 => (n / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (n / (double)(1L << 20)).ToString("0.00", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (n / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => n + " B",
    };

    private static string Count(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "B",
        >= 1_000_000 => (n / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (n / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };
}
