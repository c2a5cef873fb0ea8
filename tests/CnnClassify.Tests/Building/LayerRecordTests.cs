using System.Text.Json.Nodes;
using CnnClassify.Layers;
using CnnClassify.Models;

namespace CnnClassify.Tests.Building;

/// <summary>A builder model's record is typed JSON with fixed names, and the older format still reads.</summary>
public sealed class LayerRecordTests
{
    private static JsonArray RecordOf(CnnModel model) => model.Configuration.ToJson()["layers"]!["layers"]!.AsArray();

    [Fact]
    public void Each_layer_is_written_as_its_kind_and_named_arguments()
    {
        using var model = CnnBuilder.Input(1, 8, 8)
            .Conv(4, 3, padding: 1, bias: false).LeakyReLU(0.1).MaxPool(2, ceilMode: true)
            .Inception(new InceptionChannels(2, 2, 2, 2, 2, 2), wideKernelSize: 5)
            .Flatten().Dense(3)
            .Build();

        var record = RecordOf(model);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"name": "conv1", "layer": {"kind": "Conv", "out_channels": 4, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 1, "bias": false}}
            """), record[0]), record[0]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name": "leakyrelu1", "layer": {"kind": "Activation", "name": "LeakyReLU(0.1)"}}"""), record[1]), record[1]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"name": "pool1", "layer": {"kind": "MaxPool", "kernel": 2, "stride": 2, "padding": 0, "ceil_mode": true}}
            """), record[2]), record[2]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"name": "inception1", "layer": {"kind": "Inception", "channels": [2, 2, 2, 2, 2, 2], "wide_kernel_size": 5}}
            """), record[3]), record[3]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name": "fc1", "layer": {"kind": "Dense", "out_features": 3, "bias": true}}"""), record[5]), record[5]!.ToJsonString());
    }

    [Fact]
    public void A_record_in_the_format_2_spelling_rebuilds_the_same_layers()
    {
        // As checkpoints of format 2 wrote it: the builder method's name and its C# parameter names.
        var old = JsonNode.Parse("""
            {"input_shape": [3, 12, 12], "layers": [
              {"kind": "ConvBlock", "name": "stem", "arguments": {"outChannels": 6, "kernel": 3, "stride": 1, "padding": 1, "activation": "ELU(0.5)", "batchNorm": true}, "is_rebuildable": true},
              {"kind": "MaxPool", "name": "pool1", "arguments": {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": true}},
              {"kind": "Bottleneck", "name": "res1", "arguments": {"planes": 4, "stride": 1, "groups": 2, "baseWidth": 32}},
              {"kind": "LocalResponseNorm", "name": "lrn1", "arguments": {"size": 3, "alpha": 0.0001, "beta": 0.75, "k": 2.0}},
              {"kind": "AdaptiveAvgPool", "name": "pool2", "arguments": {"height": 2, "width": 2}},
              {"kind": "Flatten", "name": "flatten1", "arguments": {}},
              {"kind": "Dropout", "name": "dropout1", "arguments": {"probability": 0.25}},
              {"kind": "Dense", "name": "fc1", "arguments": {"outFeatures": 3, "bias": false}}]}
            """)!;
        var json = new ModelConfiguration { NumClasses = 3, InputHeight = 12, InputWidth = 12 }.ToJson().AsObject();
        json["layers"] = old;

        var read = ModelConfiguration.FromJson(json, "old.ckpt");
        using var rebuilt = CnnBuilder.FromArchitecture(read.Layers!).Build();
        using var expected = CnnBuilder.Input(3, 12, 12)
            .ConvBlock(6, 3, activation: Activation.ELU(0.5)).Named("stem").MaxPool(3, stride: 2, padding: 1, ceilMode: true)
            .Bottleneck(4, groups: 2, baseWidth: 32).LocalResponseNorm(3).AdaptiveAvgPool(2, 2)
            .Flatten().Dropout(0.25).Dense(3, bias: false)
            .Build();

        Assert.Equal(expected.Layers, rebuilt.Layers);
        Assert.Equal(expected.Architecture.Layers, read.Layers!.Layers, new RecordComparer());
    }

    [Fact]
    public void An_unknown_layer_kind_is_refused_with_the_file_name()
    {
        var json = new ModelConfiguration { NumClasses = 3, InputHeight = 12, InputWidth = 12 }.ToJson().AsObject();
        json["layers"] = JsonNode.Parse("""{"input_shape": [1, 4, 4], "layers": [{"name": "x", "layer": {"kind": "Teleport"}}]}""");

        var error = Assert.Throws<InvalidDataException>(() => ModelConfiguration.FromJson(json, "odd.ckpt"));

        Assert.Contains("odd.ckpt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_that_would_need_billions_of_parameters_or_values_is_refused_before_any_weight_is_made()
    {
        CnnArchitecture Record(params LayerSpec[] layers) => new([3, 64, 64], [.. layers.Select((l, i) => new ArchitectureLayer($"l{i}", l))]);

        // 3 x 1e9 x 9 weights; and, without weights, a sample of 1e9 x 64 x 64 values.
        var wide = Assert.Throws<ArgumentException>(() => CnnBuilder.FromArchitecture(Record(new ConvLayer(1_000_000_000, 3, Padding: 1))));
        var vast = Assert.Throws<ArgumentException>(() => CnnBuilder.FromArchitecture(Record(new ConvLayer(300_000, 1), new FlattenLayer())));
        using var fits = CnnBuilder.FromArchitecture(Record(new ConvLayer(64, 3, Padding: 1), new GlobalAvgPoolLayer(), new LinearLayer(10))).Build();

        Assert.Contains("Layer 0 'l0'", wide.Message, StringComparison.Ordinal);
        Assert.Contains("parameters", wide.Message, StringComparison.Ordinal);
        Assert.Contains("values a sample", vast.Message, StringComparison.Ordinal);
        Assert.Equal((3 * 64 * 9) + 64 + (64 * 10) + 10, fits.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void A_hand_written_record_may_leave_out_what_the_builder_methods_default()
    {
        var json = new ModelConfiguration { NumClasses = 3, InputHeight = 12, InputWidth = 12 }.ToJson().AsObject();
        json["layers"] = JsonNode.Parse("""
            {"input_shape": [1, 12, 12], "layers": [
              {"name": "convblock1", "layer": {"kernel": 3, "kind": "ConvBlock", "out_channels": 4}},
              {"name": "pool1", "layer": {"kind": "MaxPool", "kernel": 2}},
              {"name": "dropout1", "layer": {"kind": "Dropout"}}]}
            """);

        using var rebuilt = CnnBuilder.FromArchitecture(ModelConfiguration.FromJson(json, "hand.json").Layers!).Build();
        using var expected = CnnBuilder.Input(1, 12, 12).ConvBlock(4, 3).MaxPool(2).Dropout().Build();

        Assert.Equal(expected.Layers, rebuilt.Layers);
    }

    [Theory]
    [InlineData("""{"name": 5, "layer": {"kind": "Flatten"}}""")]
    [InlineData("""{"name": "a", "name": "b", "layer": {"kind": "Flatten"}}""")]
    [InlineData("""{"name": "a", "kind": {"x": 1}, "arguments": {}}""")]
    [InlineData("""{"name": "a", "layer": {"kind": "Dense", "out_features": "many"}}""")]
    public void A_damaged_layer_entry_is_refused_with_the_file_name(string entry)
    {
        var json = new ModelConfiguration { NumClasses = 3, InputHeight = 12, InputWidth = 12 }.ToJson().AsObject();
        json["layers"] = JsonNode.Parse($$"""{"input_shape": [1, 4, 4], "layers": [{{entry}}]}""");

        var error = Assert.Throws<InvalidDataException>(() => ModelConfiguration.FromJson(json, "bad.ckpt"));

        Assert.Contains("bad.ckpt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_given_twice_is_refused_at_the_second_time()
    {
        var builder = CnnBuilder.Input(1, 4, 4).Flatten().Named("x").Dense(2);

        Assert.Throws<ArgumentException>(() => builder.Named("x"));
    }

    // Records hold lists (Inception's channels), which records compare by reference.
    private sealed class RecordComparer : IEqualityComparer<ArchitectureLayer>
    {
        public bool Equals(ArchitectureLayer? x, ArchitectureLayer? y) =>
            x?.Name == y?.Name && x?.Layer.Describe(SampleShape.Image(8, 8, 8)) == y?.Layer.Describe(SampleShape.Image(8, 8, 8)) && x?.Layer.GetType() == y?.Layer.GetType();

        public int GetHashCode(ArchitectureLayer obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
