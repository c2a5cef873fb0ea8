using CnnClassify.Export;
using Onnx;

namespace CnnClassify.Tests.Export;

/// <summary>
/// ONNX Runtime's integer global average pool refuses an input scale of 256 or more times the
/// output scale times the map's area; a pooled map that averages to almost nothing (zero-mean
/// features, tiny seeded models) would give one, so the output's range is widened just enough.
/// </summary>
public sealed class PooledRangeTests
{
    private static GraphProto PoolThenFlatten()
    {
        var graph = new GraphProto { Name = "pool" };
        graph.Input.Add(new ValueInfoProto { Name = "x" });
        graph.Node.Add(new NodeProto { Name = "conv", OpType = "Conv", Input = { "x", "w" }, Output = { "features" } });
        graph.Node.Add(new NodeProto { Name = "pool", OpType = "GlobalAveragePool", Input = { "features" }, Output = { "pooled" } });
        graph.Node.Add(new NodeProto { Name = "flat", OpType = "Flatten", Input = { "pooled" }, Output = { "y" } });
        graph.Output.Add(new ValueInfoProto { Name = "y" });
        return graph;
    }

    [Fact]
    public void A_pooled_range_too_narrow_for_the_integer_kernel_is_widened_about_its_middle_and_a_wide_one_is_kept()
    {
        var graph = PoolThenFlatten();
        var plan = QdqPlan.For(graph, []);
        var (features, pooled) = (plan.Tensors["features"], plan.Tensors["pooled"]);
        var ranges = new Dictionary<string, (float Min, float Max)> { [features] = (-50f, 50f), [pooled] = (-1e-4f, 2e-4f) };

        QdqRewriter.WidenPooledRanges(graph, plan, ranges, new Dictionary<string, long> { ["features"] = 49 });

        // Input scale 100 / 255; the kernel needs input / (output * 49) < 256: output at least 100 / 255 / (128 * 49).
        var least = 100f / 255f / (128f * 49f);
        Assert.Equal(least, QdqRewriter.Affine(ranges[pooled]).Scale, least * 1e-3f);
        Assert.True(ranges[pooled].Min < -1e-4f && ranges[pooled].Max > 2e-4f);
        Assert.Equal(ranges[pooled].Max - 5e-5f, 5e-5f - ranges[pooled].Min, 1e-6f);

        var wide = new Dictionary<string, (float Min, float Max)> { [features] = (-50f, 50f), [pooled] = (-3f, 4f) };
        QdqRewriter.WidenPooledRanges(graph, plan, wide, new Dictionary<string, long> { ["features"] = 49 });
        Assert.Equal((-3f, 4f), wide[pooled]);
    }
}
