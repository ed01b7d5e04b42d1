using Llambda.Inference;

namespace Llambda.Inference.Tests;

public class StopStringMatcherTests
{
    [Fact]
    public void Holds_back_a_possible_prefix_and_releases_it_when_it_is_not_one()
    {
        var m = new StopStringMatcher(["</end>"]);
        Assert.Equal(("Hello ", false), m.Append("Hello </"));
        Assert.Equal(("</x", false), m.Append("x"));
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void Stops_at_a_stop_string_split_across_pieces()
    {
        var m = new StopStringMatcher(["STOP", "END"]);
        Assert.Equal(("a", false), m.Append("aS"));
        Assert.Equal(("", true), m.Append("TOP and more"));
    }

    [Fact]
    public void The_earliest_stop_string_wins()
    {
        var m = new StopStringMatcher(["STOP", "END"]);
        Assert.Equal(("x ", true), m.Append("x END y STOP"));
    }

    [Fact]
    public void Text_before_a_stop_string_in_one_piece_is_released()
    {
        var m = new StopStringMatcher(["\n\n"]);
        Assert.Equal(("one", true), m.Append("one\n\ntwo"));
    }

    [Fact]
    public void No_stop_strings_pass_text_through()
    {
        var m = new StopStringMatcher(null);
        Assert.True(m.IsEmpty);
        Assert.Equal(("abc", false), m.Append("abc"));
    }
}
