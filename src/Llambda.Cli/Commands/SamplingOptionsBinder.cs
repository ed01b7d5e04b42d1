using System.CommandLine;
using Llambda.Inference;

namespace Llambda.Cli.Commands;

/// <summary>Sampling flags shared by <c>generate</c> and <c>chat</c>, with llama.cpp's names and defaults.</summary>
internal sealed class SamplingOptionsBinder
{
    private readonly Option<float> _temperature = new("--temp") { Description = "Temperature; 0 is greedy.", DefaultValueFactory = _ => 0.8f };
    private readonly Option<int> _topK = new("--top-k") { Description = "Top-k (0: off).", DefaultValueFactory = _ => 40 };
    private readonly Option<float> _topP = new("--top-p") { Description = "Top-p (1: off).", DefaultValueFactory = _ => 0.95f };
    private readonly Option<float> _minP = new("--min-p") { Description = "Min-p (0: off).", DefaultValueFactory = _ => 0.05f };
    private readonly Option<float> _repeatPenalty = new("--repeat-penalty") { Description = "Repetition penalty (1: off).", DefaultValueFactory = _ => 1.0f };
    private readonly Option<float> _presencePenalty = new("--presence-penalty") { Description = "Presence penalty." };
    private readonly Option<float> _frequencyPenalty = new("--frequency-penalty") { Description = "Frequency penalty." };
    private readonly Option<ulong?> _seed = new("--seed", "-s") { Description = "Random seed (default: random)." };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _temperature, _topK, _topP, _minP, _repeatPenalty, _presencePenalty, _frequencyPenalty, _seed })
            command.Add(o);
    }

    public SamplingOptions Bind(ParseResult parse)
    {
        var options = new SamplingOptions
        {
            Temperature = parse.GetValue(_temperature),
            TopK = parse.GetValue(_topK),
            TopP = parse.GetValue(_topP),
            MinP = parse.GetValue(_minP),
            RepetitionPenalty = parse.GetValue(_repeatPenalty),
            PresencePenalty = parse.GetValue(_presencePenalty),
            FrequencyPenalty = parse.GetValue(_frequencyPenalty),
            Seed = parse.GetValue(_seed),
        };
        options.Validate();
        return options;
    }
}
