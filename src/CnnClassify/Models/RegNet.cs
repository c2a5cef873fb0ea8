using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// RegNetX and RegNetY (Radosavovic et al., 2020) in torchvision's layout: a strided 3x3
/// <c>stem</c>, four stages <c>trunk_output.block1</c> to <c>block4</c> of <see cref="RegNetBlock"/>s
/// (named <c>block1-0</c>, <c>block1-1</c>, ...), global average pooling and the head <c>fc</c>.
/// Stage widths and depths follow from the design space's four numbers (depth, initial width,
/// slope and multiplier), quantised to multiples of 8; RegNetY adds squeeze-and-excitation.
/// </summary>
public sealed class RegNet : ClassificationModel, IOnnxExportable
{
    // Depth, w0, wa, wm, group width, squeeze-and-excitation ratio: torchvision's settings.
    private static readonly Dictionary<string, DesignPoint> Designs = new(StringComparer.Ordinal)
    {
        ["regnet_y_400mf"] = new(16, 48, 27.89, 2.09, 8, 0.25),
        ["regnet_y_800mf"] = new(14, 56, 38.84, 2.4, 16, 0.25),
        ["regnet_y_1_6gf"] = new(27, 48, 20.71, 2.65, 24, 0.25),
        ["regnet_y_3_2gf"] = new(21, 80, 42.63, 2.66, 24, 0.25),
        ["regnet_y_8gf"] = new(17, 192, 76.82, 2.19, 56, 0.25),
        ["regnet_y_16gf"] = new(18, 200, 106.23, 2.48, 112, 0.25),
        ["regnet_y_32gf"] = new(20, 232, 115.89, 2.53, 232, 0.25),
        ["regnet_y_128gf"] = new(27, 456, 160.83, 2.52, 264, 0.25),
        ["regnet_x_400mf"] = new(22, 24, 24.48, 2.54, 16, null),
        ["regnet_x_800mf"] = new(16, 56, 35.73, 2.28, 16, null),
        ["regnet_x_1_6gf"] = new(18, 80, 34.01, 2.25, 24, null),
        ["regnet_x_3_2gf"] = new(25, 88, 26.31, 2.25, 48, null),
        ["regnet_x_8gf"] = new(23, 80, 49.56, 2.88, 120, null),
        ["regnet_x_16gf"] = new(22, 216, 55.59, 2.1, 128, null),
        ["regnet_x_32gf"] = new(23, 320, 69.86, 2.0, 168, null),
    };

    [ComponentName(Name = "stem")]
    private readonly Sequential _stem;
    [ComponentName(Name = "trunk_output")]
    private readonly Sequential _trunk;
    [ComponentName(Name = "avgpool")]
    private readonly AdaptiveAvgPool2d _avgpool;
    [ComponentName(Name = "fc")]
    private Linear _fc;

    private RegNet(DesignPoint design, int numClasses, int inChannels)
        : base(nameof(RegNet))
    {
        const long StemWidth = 32;
        _stem = ConvNormActivation.Create(inChannels, StemWidth, 3, stride: 2);
        var stages = new List<(string, nn.Module<Tensor, Tensor>)>();
        var width = StemWidth;
        var index = 1;
        foreach (var (stageWidth, depth, groupWidth) in design.StageSettings())
        {
            var blocks = Enumerable.Range(0, depth)
                .Select(i => ($"block{index}-{i}", (nn.Module<Tensor, Tensor>)new RegNetBlock(i == 0 ? width : stageWidth, stageWidth, i == 0 ? 2 : 1, groupWidth, 1.0, design.SqueezeExcitation)))
                .ToList();
            stages.Add(($"block{index}", nn.Sequential(blocks)));
            width = stageWidth;
            index++;
        }

        _trunk = nn.Sequential(stages);
        _avgpool = nn.AdaptiveAvgPool2d(1);
        _fc = nn.Linear(width, numClasses);
        RegisterComponents();

        var init = new WeightInitialization
        {
            Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanOut),
            Linear = TensorInitializer.Normal(0, 0.01),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);
        Stages = [ModelStage.Of("stem"), .. Enumerable.Range(1, stages.Count).Select(i => new ModelStage($"block{i}", [$"trunk_output.block{i}"]))];
    }

    /// <summary>The zoo names of the RegNets, such as <c>regnet_y_400mf</c>.</summary>
    public static IReadOnlyList<string> Names => [.. Designs.Keys];

    /// <inheritdoc />
    public override string HeadName => "fc";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>
    /// The RegNet torchvision names <paramref name="architecture"/>, from 4,344,144 parameters
    /// (<c>regnet_y_400mf</c>) to 644,812,894 (<c>regnet_y_128gf</c>) with 1,000 classes.
    /// </summary>
    /// <param name="architecture">One of <see cref="Names"/>.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <exception cref="ArgumentException">The name is not a RegNet's.</exception>
    public static RegNet Create(string architecture, int numClasses = 1000, int inChannels = 3)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (!Designs.TryGetValue(architecture, out var design))
        {
            throw new ArgumentException($"Unknown RegNet '{architecture}'; the RegNets are {string.Join(", ", Designs.Keys)}.", nameof(architecture));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        return new RegNet(design, numClasses, inChannels) { Configuration = ModelConfiguration.ImageNet(architecture, numClasses, inChannels) };
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _avgpool.call(_trunk.call(_stem.call(input))).flatten(1);
        return _fc.call(x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        _fc = AsHeadReplacement(path, replacement);
        ReRegister("fc", _fc);
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = graph.Apply(_trunk, OnnxGraph.Child(path, "trunk_output"), graph.Apply(_stem, OnnxGraph.Child(path, "stem"), input));
        var pooled = graph.Apply(_avgpool, OnnxGraph.Child(path, "avgpool"), x);
        var flat = new OnnxValue(OnnxOperators.Flatten(graph, pooled.Name, OnnxGraph.Child(path, "flatten")), pooled.Sample.flatten(1));
        return graph.Apply(_fc, OnnxGraph.Child(path, "fc"), flat).Name;
    }

    private sealed record DesignPoint(int Depth, int InitialWidth, double Slope, double Multiplier, long GroupWidth, double? SqueezeExcitation)
    {
        // Per block: width = w0 + i * wa, snapped to w0 * wm^k for the nearest whole k and then to a
        // multiple of 8, in float32 as torchvision computes it; runs of equal widths form the stages.
        public IEnumerable<(long Width, int Depth, long GroupWidth)> StageSettings()
        {
            var widths = new long[Depth];
            var logMultiplier = (float)Math.Log(Multiplier);
            for (var i = 0; i < Depth; i++)
            {
                var continuous = (i * (float)Slope) + InitialWidth;
                var capacity = MathF.Round(MathF.Log(continuous / InitialWidth) / logMultiplier, MidpointRounding.ToEven);
                widths[i] = (long)(MathF.Round(InitialWidth * MathF.Pow((float)Multiplier, capacity) / 8, MidpointRounding.ToEven) * 8);
            }

            var start = 0;
            for (var i = 1; i <= Depth; i++)
            {
                if (i == Depth || widths[i] != widths[start])
                {
                    var groupWidth = Math.Min(GroupWidth, widths[start]);
                    yield return (ChannelRounding.MakeDivisible(widths[start], groupWidth), i - start, groupWidth);
                    start = i;
                }
            }
        }
    }
}
