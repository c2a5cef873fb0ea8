using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;
using ActivationFunction = CnnClassify.Layers.Activation;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;
using BatchNorm1d = CnnClassify.Layers.BatchNorm1d;

namespace CnnClassify.Models;

/// <summary>
/// Describes a CNN as a chain of layers and blocks, tracking the shape of a sample through it so
/// that input channels and features are inferred. <see cref="Build"/> returns a <see cref="CnnModel"/>.
/// </summary>
/// <remarks>
/// Every layer is checked when it is added: a layer that cannot accept the incoming shape throws
/// a <see cref="LayerShapeException"/> naming the layer's index and type, the shape and the reason.
/// Layers are named by kind and count (<c>conv1</c>, <c>bn1</c>, <c>relu1</c>, <c>pool1</c>,
/// <c>fc1</c>, ...); <see cref="Named"/> renames the last one. The names are the state-dict prefixes.
/// <code>
/// var net = CnnBuilder.Input(channels: 1, height: 28, width: 28)
///     .Conv(32, kernel: 3, padding: 1).BatchNorm().ReLU().MaxPool(2)
///     .Flatten().Dense(128).ReLU().Dropout(0.5).Dense(10)
///     .Build();
/// Console.WriteLine(net.Summary());
/// </code>
/// </remarks>
public sealed class CnnBuilder
{
    private readonly List<BuilderLayer> _layers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _kindCounts = new(StringComparer.Ordinal);
    private WeightInitialization _weightInitialization = WeightInitialization.PyTorchDefault;

    private CnnBuilder(SampleShape inputShape)
    {
        // Shape inference may run layers; LibTorch is set up before the first one.
        Native.LibTorchSetup.Ensure();
        InputShape = inputShape;
    }

    /// <summary>The shape of one input sample.</summary>
    public SampleShape InputShape { get; }

    /// <summary>The shape of one sample after the last layer added so far.</summary>
    public SampleShape OutputShape => _layers.Count == 0 ? InputShape : _layers[^1].OutputShape;

    /// <summary>The layers added so far, in order.</summary>
    public IReadOnlyList<LayerDefinition> Layers => _layers.Select(layer => layer.Definition).ToList();

    /// <summary>Starts a model whose input is an image of the given size.</summary>
    /// <param name="channels">Input channels: 1 for grayscale, 3 for RGB.</param>
    /// <param name="height">Input height in pixels.</param>
    /// <param name="width">Input width in pixels.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static CnnBuilder Input(long channels, long height, long width) => new(SampleShape.Image(channels, height, width));

    /// <summary>Starts a model whose input has the given per-sample shape.</summary>
    /// <param name="shape">The shape of one sample, such as <c>SampleShape.Image(3, 32, 32)</c>.</param>
    public static CnnBuilder Input(SampleShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new(shape);
    }

    /// <summary>Most layers a recorded architecture may hold to be rebuilt: 10,000.</summary>
    public const int MaxLayers = 10_000;

    /// <summary>
    /// Repeats the builder calls that <paramref name="architecture"/> records, such as those a
    /// checkpoint stores, giving a builder whose <see cref="Build"/> makes the same model.
    /// </summary>
    /// <param name="architecture">The input shape and layer calls, from <see cref="CnnModel.Architecture"/>.</param>
    /// <exception cref="ArgumentException">A layer was made by code (<see cref="Add"/> or a custom activation), or its description is damaged; the message names the layer.</exception>
    public static CnnBuilder FromArchitecture(CnnArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (architecture.InputShape is null || architecture.Layers is null || architecture.Layers.Any(layer => layer?.Arguments is null || layer.Kind is null || layer.Name is null))
        {
            throw new ArgumentException("The architecture lacks its input shape, its layers, or a layer's kind, name or arguments.", nameof(architecture));
        }

        if (architecture.Layers.Count > MaxLayers || architecture.InputShape.Count is < 1 or > 4 || architecture.InputShape.Any(d => d is < 1 or > Inference.ModelLimits.MaxInputSide))
        {
            throw new ArgumentException($"The architecture has {architecture.Layers.Count:N0} layers and input [{string.Join(", ", architecture.InputShape.Take(8))}]; at most {MaxLayers:N0} layers and 1 to {Inference.ModelLimits.MaxInputSide:N0} per input size are rebuilt.", nameof(architecture));
        }

        var builder = Input(new SampleShape([.. architecture.InputShape]));
        for (var i = 0; i < architecture.Layers.Count; i++)
        {
            var spec = architecture.Layers[i];
            if (!spec.IsRebuildable)
            {
                throw new ArgumentException($"Layer {i} '{spec.Name}' was added by code ({CustomDescription(spec)}), so it cannot be rebuilt from a description; build the model with the same CnnBuilder calls and load the weights into it.", nameof(architecture));
            }

            try
            {
                builder.Replay(spec);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or LayerShapeException)
            {
                throw new ArgumentException($"Layer {i} '{spec.Name}' ({spec.Kind}) cannot be rebuilt from its description: {ex.Message}", nameof(architecture), ex);
            }

            if (builder._layers[^1].Name != spec.Name)
            {
                builder.Named(spec.Name);
            }
        }

        return builder;
    }

    /// <summary>Adds a 2-D convolution; its input channels are inferred.</summary>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernel">Square kernel size, at least 1.</param>
    /// <param name="stride">Stride, at least 1.</param>
    /// <param name="padding">Zero padding on each side.</param>
    /// <param name="dilation">Kernel dilation, at least 1.</param>
    /// <param name="groups">Groups; must divide both channel counts.</param>
    /// <param name="bias">Whether the convolution has a bias; usually off before a BatchNorm.</param>
    /// <exception cref="LayerShapeException">The input is not an image, its channels are not divisible by <paramref name="groups"/>, or it would shrink below 1x1.</exception>
    public CnnBuilder Conv(long outChannels, long kernel, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true)
    {
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(kernel, nameof(kernel));
        LayerArguments.Positive(stride, nameof(stride));
        LayerArguments.NonNegative(padding, nameof(padding));
        LayerArguments.Positive(dilation, nameof(dilation));
        LayerArguments.Positive(groups, nameof(groups));
        var description = Describe("Conv2d", [outChannels, kernel], ("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1), ("groups", groups, 1));
        return Append("conv", description,
            input =>
            {
                ShapeRules.RequireImage(input, "convolutions must come before Flatten");
                ShapeRules.RequireDivisibleChannels(input, groups);
                if (outChannels % groups != 0)
                {
                    throw new ShapeRules.Rejected($"gives {outChannels} output channels, which groups={groups} does not divide");
                }

                return ShapeRules.SlidingWindow(input, outChannels, kernel, stride, padding, dilation);
            },
            input => nn.Conv2d(input.Channels, outChannels, kernel, stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias),
            Call(nameof(Conv), (nameof(outChannels), outChannels), (nameof(kernel), kernel), (nameof(stride), stride), (nameof(padding), padding), (nameof(dilation), dilation), (nameof(groups), groups), (nameof(bias), bias)));
    }

    /// <summary>Adds a <see cref="CnnClassify.Layers.ConvBlock"/>: convolution, optional BatchNorm, activation.</summary>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernel">Square kernel size, at least 1.</param>
    /// <param name="stride">Stride, at least 1.</param>
    /// <param name="padding">Zero padding; <see langword="null"/> keeps the size at stride 1 for odd kernels.</param>
    /// <param name="activation">The activation; <see langword="null"/> means ReLU.</param>
    /// <param name="batchNorm">Whether a BatchNorm follows the convolution.</param>
    /// <exception cref="LayerShapeException">The input is not an image or would shrink below 1x1.</exception>
    public CnnBuilder ConvBlock(long outChannels, long kernel, long stride = 1, long? padding = null, Activation? activation = null, bool batchNorm = true)
    {
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(kernel, nameof(kernel));
        LayerArguments.Positive(stride, nameof(stride));
        var pad = padding ?? ((kernel - 1) / 2);
        LayerArguments.NonNegative(pad, nameof(padding));
        var act = activation ?? ActivationFunction.ReLU;
        var description = Describe(nameof(CnnClassify.Layers.ConvBlock), [outChannels, kernel], ("stride", stride, 1), ("padding", pad, (kernel - 1) / 2), ("batchNorm", batchNorm ? 1 : 0, 1))[..^1] + $", {act})";
        return Append("convblock", description,
            input =>
            {
                ShapeRules.RequireImage(input, "convolutions must come before Flatten");
                return ShapeRules.SlidingWindow(input, outChannels, kernel, stride, pad);
            },
            input => new ConvBlock(input.Channels, outChannels, kernel, stride, pad, batchNorm: batchNorm, activation: act),
            act.IsCustom ? null : Call(nameof(ConvBlock), (nameof(outChannels), outChannels), (nameof(kernel), kernel), (nameof(stride), stride), (nameof(padding), pad), (nameof(activation), act.Name), (nameof(batchNorm), batchNorm)));
    }

    /// <summary>Adds a BatchNorm over the channels of an image (BatchNorm2d) or the features of a vector (BatchNorm1d).</summary>
    /// <param name="eps">Added to the variance for stability.</param>
    /// <param name="momentum">Weight of the newest batch in the running statistics.</param>
    /// <exception cref="LayerShapeException">The input is neither an image nor a vector.</exception>
    public CnnBuilder BatchNorm(double eps = 1e-5, double momentum = 0.1)
    {
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), $"eps must be > 0 and momentum in [0, 1]; got eps={eps}, momentum={momentum}.");
        }

        return Append("bn", OutputShape.IsImage ? "BatchNorm2d" : "BatchNorm1d",
            input => input.Rank is 1 or 3 ? input : throw new ShapeRules.Rejected("is neither an image nor a vector"),
            input => input.IsImage
                ? new BatchNorm2d(input.Channels, eps, momentum)
                : new BatchNorm1d(input.Channels, eps, momentum),
            Call(nameof(BatchNorm), (nameof(eps), eps), (nameof(momentum), momentum)));
    }

    /// <summary>Adds an activation layer; the shape is unchanged.</summary>
    /// <param name="activation">The activation, such as <see cref="ActivationFunction.ReLU"/> or <see cref="ActivationFunction.LeakyReLU(double)"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="activation"/> is <see cref="ActivationFunction.None"/>.</exception>
    public CnnBuilder Activation(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (ReferenceEquals(activation, ActivationFunction.None))
        {
            throw new ArgumentException("Activation.None adds nothing; leave the call out instead.", nameof(activation));
        }

        var kind = new string(activation.Name.TakeWhile(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();
        return Append(kind, activation.Name, input => input, _ => activation.CreateModule()!,
            activation.IsCustom ? null : Call(nameof(Activation), ("name", activation.Name)));
    }

    /// <summary>Adds a ReLU.</summary>
    public CnnBuilder ReLU() => Activation(ActivationFunction.ReLU);

    /// <summary>Adds a ReLU6.</summary>
    public CnnBuilder ReLU6() => Activation(ActivationFunction.ReLU6);

    /// <summary>Adds a leaky ReLU.</summary>
    /// <param name="negativeSlope">Slope for negative inputs, at least 0.</param>
    public CnnBuilder LeakyReLU(double negativeSlope = 0.01) => Activation(ActivationFunction.LeakyReLU(negativeSlope));

    /// <summary>Adds an ELU.</summary>
    /// <param name="alpha">Saturation value for negative inputs, above 0.</param>
    public CnnBuilder ELU(double alpha = 1.0) => Activation(ActivationFunction.ELU(alpha));

    /// <summary>Adds a tanh.</summary>
    public CnnBuilder Tanh() => Activation(ActivationFunction.Tanh);

    /// <summary>Adds a logistic sigmoid.</summary>
    public CnnBuilder Sigmoid() => Activation(ActivationFunction.Sigmoid);

    /// <summary>Adds a GELU.</summary>
    public CnnBuilder GELU() => Activation(ActivationFunction.GELU);

    /// <summary>Adds a SiLU (swish).</summary>
    public CnnBuilder SiLU() => Activation(ActivationFunction.SiLU);

    /// <summary>Adds a 2-D max pooling.</summary>
    /// <param name="kernel">Square window size, at least 1.</param>
    /// <param name="stride">Stride; <see langword="null"/> means the kernel size.</param>
    /// <param name="padding">Implicit padding on each side, at most half the kernel.</param>
    /// <param name="ceilMode">Whether to round the output size up, keeping a partial last window.</param>
    /// <exception cref="LayerShapeException">The input is not an image or would shrink below 1x1.</exception>
    public CnnBuilder MaxPool(long kernel, long? stride = null, long padding = 0, bool ceilMode = false) =>
        Pool(nameof(MaxPool), "MaxPool2d", kernel, stride, padding, ceilMode,
            (k, s, p) => nn.MaxPool2d(k, stride: s, padding: p, ceil_mode: ceilMode));

    /// <summary>Adds a 2-D average pooling (padding counts as zeros in the average, as in PyTorch).</summary>
    /// <param name="kernel">Square window size, at least 1.</param>
    /// <param name="stride">Stride; <see langword="null"/> means the kernel size.</param>
    /// <param name="padding">Implicit zero padding on each side, at most half the kernel.</param>
    /// <param name="ceilMode">Whether to round the output size up, keeping a partial last window.</param>
    /// <exception cref="LayerShapeException">The input is not an image or would shrink below 1x1.</exception>
    public CnnBuilder AvgPool(long kernel, long? stride = null, long padding = 0, bool ceilMode = false) =>
        Pool(nameof(AvgPool), "AvgPool2d", kernel, stride, padding, ceilMode,
            (k, s, p) => nn.AvgPool2d(k, stride: s, padding: p, ceil_mode: ceilMode));

    /// <summary>Adds a pooling that averages each channel over the whole image: CxHxW becomes C.</summary>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder GlobalAvgPool() =>
        Append("pool", nameof(GlobalAveragePool2d), GlobalPoolShape, _ => new GlobalAveragePool2d(), Call(nameof(GlobalAvgPool)));

    /// <summary>Adds a pooling that takes each channel's maximum over the whole image: CxHxW becomes C.</summary>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder GlobalMaxPool() =>
        Append("pool", nameof(GlobalMaxPool2d), GlobalPoolShape, _ => new GlobalMaxPool2d(), Call(nameof(GlobalMaxPool)));

    /// <summary>Adds an adaptive average pooling to a fixed output size, whatever the input size.</summary>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder AdaptiveAvgPool(long height, long width) =>
        AdaptivePool(nameof(AdaptiveAvgPool), "AdaptiveAvgPool2d", height, width, () => nn.AdaptiveAvgPool2d((height, width)));

    /// <summary>Adds an adaptive max pooling to a fixed output size, whatever the input size.</summary>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder AdaptiveMaxPool(long height, long width) =>
        AdaptivePool(nameof(AdaptiveMaxPool), "AdaptiveMaxPool2d", height, width, () => nn.AdaptiveMaxPool2d([height, width]));

    /// <summary>Adds a flatten: any shape becomes a vector of its element count.</summary>
    public CnnBuilder Flatten() =>
        Append("flatten", "Flatten", input => SampleShape.Vector(input.ElementCount), _ => nn.Flatten(), Call(nameof(Flatten)));

    /// <summary>Adds a fully connected layer; its input features are inferred.</summary>
    /// <param name="outFeatures">Output features, at least 1.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <exception cref="LayerShapeException">The input is not a vector.</exception>
    public CnnBuilder Dense(long outFeatures, bool bias = true)
    {
        LayerArguments.Positive(outFeatures, nameof(outFeatures));
        return Append("fc", Describe("Linear", [outFeatures], ("bias", bias ? 1 : 0, 1)),
            input =>
            {
                ShapeRules.RequireVector(input, "add Flatten() or a global pool before Dense");
                return SampleShape.Vector(outFeatures);
            },
            input => nn.Linear(input.Channels, outFeatures, hasBias: bias),
            Call(nameof(Dense), (nameof(outFeatures), outFeatures), (nameof(bias), bias)));
    }

    /// <summary>Adds dropout, which zeroes each element with probability <paramref name="probability"/> while training.</summary>
    /// <param name="probability">Drop probability in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is outside [0, 1).</exception>
    public CnnBuilder Dropout(double probability = 0.5)
    {
        LayerArguments.Probability(probability, nameof(probability));
        var description = $"Dropout({probability.ToString(CultureInfo.InvariantCulture)})";
        return Append("dropout", description, input => input, _ => nn.Dropout(probability), Call(nameof(Dropout), (nameof(probability), probability)));
    }

    /// <summary>Adds AlexNet's local response normalisation across channels (see <see cref="LocalResponseNormalization"/>).</summary>
    /// <param name="size">Channels in the window (AlexNet: 5).</param>
    /// <param name="alpha">Scale of the sum of squares, not divided by the size (AlexNet: 1e-4).</param>
    /// <param name="beta">Exponent (AlexNet: 0.75).</param>
    /// <param name="k">Additive constant (AlexNet: 2).</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder LocalResponseNorm(long size = 5, double alpha = 1e-4, double beta = 0.75, double k = 2.0)
    {
        LocalResponseNormalization.Validate(size, alpha, beta, k);
        return Append("lrn", $"LocalResponseNorm({size})",
            input =>
            {
                ShapeRules.RequireImage(input, "local response normalisation works across image channels");
                return input;
            },
            _ => new LocalResponseNormalization(size, alpha, beta, k),
            Call(nameof(LocalResponseNorm), (nameof(size), size), (nameof(alpha), alpha), (nameof(beta), beta), (nameof(k), k)));
    }

    /// <summary>Adds a <see cref="BasicResidualBlock"/> (two 3x3 convolutions and a shortcut).</summary>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="stride">Stride, at least 1; 2 halves the height and width.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Residual(long outChannels, long stride = 1)
    {
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(stride, nameof(stride));
        return Append("res", Describe(nameof(BasicResidualBlock), [outChannels], ("stride", stride, 1)),
            input => ResidualShape(input, outChannels, stride),
            input => new BasicResidualBlock(input.Channels, outChannels, stride),
            Call(nameof(Residual), (nameof(outChannels), outChannels), (nameof(stride), stride)));
    }

    /// <summary>Adds a <see cref="BottleneckResidualBlock"/> with <c>planes * 4</c> output channels.</summary>
    /// <param name="planes">Base width, at least 1.</param>
    /// <param name="stride">Stride of the 3x3 convolution, at least 1.</param>
    /// <param name="groups">Groups of the 3x3 convolution.</param>
    /// <param name="baseWidth">Width per group; the inner width is <c>planes * baseWidth / 64 * groups</c>.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Bottleneck(long planes, long stride = 1, long groups = 1, long baseWidth = 64)
    {
        LayerArguments.Positive(planes, nameof(planes));
        LayerArguments.Positive(stride, nameof(stride));
        LayerArguments.Positive(groups, nameof(groups));
        LayerArguments.Positive(baseWidth, nameof(baseWidth));
        var description = Describe(nameof(BottleneckResidualBlock), [planes], ("stride", stride, 1), ("groups", groups, 1), ("baseWidth", baseWidth, 64));
        return Append("res", description,
            input => ResidualShape(input, planes * BottleneckResidualBlock.Expansion, stride),
            input => new BottleneckResidualBlock(input.Channels, planes, stride, groups, baseWidth),
            Call(nameof(Bottleneck), (nameof(planes), planes), (nameof(stride), stride), (nameof(groups), groups), (nameof(baseWidth), baseWidth)));
    }

    /// <summary>Adds GoogLeNet's <see cref="InceptionBlock"/>; the height and width are kept.</summary>
    /// <param name="channels">The four branches' channel counts.</param>
    /// <param name="wideKernelSize">Kernel of the wide branch: 3 (torchvision) or 5 (the paper).</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Inception(InceptionChannels channels, long wideKernelSize = 3)
    {
        ArgumentNullException.ThrowIfNull(channels);
        InceptionBlock.Validate(channels, wideKernelSize);
        return Append("inception", $"{nameof(InceptionBlock)}({channels})",
            input =>
            {
                ShapeRules.RequireImage(input, "Inception blocks must come before Flatten");
                return SampleShape.Image(channels.OutputChannels, input.Height, input.Width);
            },
            input => new InceptionBlock(input.Channels, channels, wideKernelSize),
            Call(nameof(Inception), (nameof(channels), new[] { channels.Conv1x1, channels.Reduce3x3, channels.Conv3x3, channels.Reduce5x5, channels.Conv5x5, channels.PoolProjection }), (nameof(wideKernelSize), wideKernelSize)));
    }

    /// <summary>Adds any TorchSharp module, created from the shape that reaches it.</summary>
    /// <param name="name">The layer's name: its state-dict prefix, unique in the model, without dots.</param>
    /// <param name="create">Creates the module for a given input shape; called once per <see cref="Build"/>.</param>
    /// <param name="outputShape">
    /// The module's output shape for an input shape; throw to reject the input. When
    /// <see langword="null"/>, the shape is found by running one sample of zeros through a module.
    /// </param>
    /// <exception cref="LayerShapeException">The shape function rejects the input, or the trial forward fails.</exception>
    public CnnBuilder Add(string name, Func<SampleShape, nn.Module<Tensor, Tensor>> create, Func<SampleShape, SampleShape>? outputShape = null)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(create);
        var shape = outputShape ?? (input => ProbeOutputShape(create, input));
        return Append(name, name, shape, create, call: null, explicitName: name);
    }

    /// <summary>Runs <paramref name="body"/> <paramref name="times"/> times, for stacks of identical blocks.</summary>
    /// <param name="times">Repetitions, at least 0.</param>
    /// <param name="body">Adds layers to the builder it is given and returns it.</param>
    public CnnBuilder Repeat(int times, Func<CnnBuilder, CnnBuilder> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(times);
        ArgumentNullException.ThrowIfNull(body);
        for (var i = 0; i < times; i++)
        {
            if (!ReferenceEquals(body(this), this))
            {
                throw new ArgumentException("The body must return the builder it was given.", nameof(body));
            }
        }

        return this;
    }

    /// <summary>Renames the last layer added.</summary>
    /// <param name="name">The new name: its state-dict prefix, unique in the model, without dots.</param>
    /// <exception cref="InvalidOperationException">No layer has been added yet.</exception>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is taken.</exception>
    public CnnBuilder Named(string name)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException("Named() renames the last layer, but no layer has been added yet.");
        }

        ValidateName(name);
        _layers[^1] = _layers[^1] with { Name = name };
        return this;
    }

    /// <summary>Chooses how <see cref="Build"/> initialises the weights; the default keeps PyTorch's own initialisation.</summary>
    /// <param name="initialization">The scheme, such as <see cref="WeightInitialization.KaimingNormal"/>.</param>
    public CnnBuilder WithWeightInit(WeightInitialization initialization)
    {
        ArgumentNullException.ThrowIfNull(initialization);
        _weightInitialization = initialization;
        return this;
    }

    /// <summary>Creates a new model with fresh weights from the layers added so far.</summary>
    /// <returns>A <see cref="CnnModel"/> that takes batches of shape <c>[N, ..InputShape]</c>.</returns>
    /// <exception cref="InvalidOperationException">No layer has been added.</exception>
    public CnnModel Build()
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"The model has no layers; add some after CnnBuilder.Input({InputShape}).");
        }

        var modules = _layers.Select(layer => (layer.Name, layer.Create(layer.InputShape))).ToArray();
        var architecture = new CnnArchitecture(InputShape.Dimensions, _layers.Select(layer => layer.Spec).ToList());
        var model = new CnnModel(InputShape, Layers, modules, architecture);
        _weightInitialization.Apply(model);
        return model;
    }

    private static string CustomDescription(LayerSpec spec) =>
        spec.Arguments.TryGetValue("description", out var description) && description.ValueKind == JsonValueKind.String ? description.GetString()! : spec.Kind;

    private void Replay(LayerSpec spec)
    {
        var a = spec.Arguments;
        long L(string name) => a[name].GetInt64();
        double D(string name) => a[name].GetDouble();
        bool B(string name) => a[name].GetBoolean();
        string S(string name) => a[name].GetString() ?? throw new FormatException($"'{name}' is null");
        ActivationFunction Act(string name) => ActivationFunction.FromName(S(name)) ?? throw new FormatException($"'{S(name)}' is not a built-in activation");
        _ = spec.Kind switch
        {
            nameof(Conv) => Conv(L("outChannels"), L("kernel"), L("stride"), L("padding"), L("dilation"), L("groups"), B("bias")),
            nameof(ConvBlock) => ConvBlock(L("outChannels"), L("kernel"), L("stride"), L("padding"), Act("activation"), B("batchNorm")),
            nameof(BatchNorm) => BatchNorm(D("eps"), D("momentum")),
            nameof(Activation) => Activation(Act("name")),
            nameof(MaxPool) => MaxPool(L("kernel"), L("stride"), L("padding"), B("ceilMode")),
            nameof(AvgPool) => AvgPool(L("kernel"), L("stride"), L("padding"), B("ceilMode")),
            nameof(GlobalAvgPool) => GlobalAvgPool(),
            nameof(GlobalMaxPool) => GlobalMaxPool(),
            nameof(AdaptiveAvgPool) => AdaptiveAvgPool(L("height"), L("width")),
            nameof(AdaptiveMaxPool) => AdaptiveMaxPool(L("height"), L("width")),
            nameof(Flatten) => Flatten(),
            nameof(Dense) => Dense(L("outFeatures"), B("bias")),
            nameof(Dropout) => Dropout(D("probability")),
            nameof(LocalResponseNorm) => LocalResponseNorm(L("size"), D("alpha"), D("beta"), D("k")),
            nameof(Residual) => Residual(L("outChannels"), L("stride")),
            nameof(Bottleneck) => Bottleneck(L("planes"), L("stride"), L("groups"), L("baseWidth")),
            nameof(Inception) => Inception(InceptionFrom(a["channels"]), L("wideKernelSize")),
            _ => throw new FormatException($"'{spec.Kind}' is not a CnnBuilder layer"),
        };
    }

    private static InceptionChannels InceptionFrom(JsonElement element)
    {
        var c = element.EnumerateArray().Select(value => value.GetInt64()).ToArray();
        return c.Length == 6 ? new InceptionChannels(c[0], c[1], c[2], c[3], c[4], c[5]) : throw new FormatException($"Inception needs 6 channel counts, not {c.Length}");
    }

    private CnnBuilder Pool(string method, string type, long kernel, long? stride, long padding, bool ceilMode, Func<long, long, long, nn.Module<Tensor, Tensor>> create)
    {
        LayerArguments.Positive(kernel, nameof(kernel));
        var step = stride ?? kernel;
        LayerArguments.Positive(step, nameof(stride));
        LayerArguments.NonNegative(padding, nameof(padding));
        var description = Describe(type, [kernel], ("stride", step, kernel), ("padding", padding, 0), ("ceil_mode", ceilMode ? 1 : 0, 0));
        return Append("pool", description,
            input =>
            {
                ShapeRules.RequireImage(input, "pooling must come before Flatten");
                ShapeRules.RequirePoolPadding(kernel, padding);
                return ShapeRules.SlidingWindow(input, input.Channels, kernel, step, padding, ceilMode: ceilMode);
            },
            _ => create(kernel, step, padding),
            Call(method, (nameof(kernel), kernel), (nameof(stride), step), (nameof(padding), padding), (nameof(ceilMode), ceilMode)));
    }

    private CnnBuilder AdaptivePool(string method, string type, long height, long width, Func<nn.Module<Tensor, Tensor>> create)
    {
        LayerArguments.Positive(height, nameof(height));
        LayerArguments.Positive(width, nameof(width));
        return Append("pool", $"{type}({height}x{width})",
            input =>
            {
                ShapeRules.RequireImage(input, "pooling must come before Flatten");
                return SampleShape.Image(input.Channels, height, width);
            },
            _ => create(),
            Call(method, (nameof(height), height), (nameof(width), width)));
    }

    private static SampleShape GlobalPoolShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "global pooling must come before Flatten");
        return SampleShape.Vector(input.Channels);
    }

    private static SampleShape ResidualShape(SampleShape input, long outChannels, long stride)
    {
        ShapeRules.RequireImage(input, "residual blocks must come before Flatten");
        return ShapeRules.SlidingWindow(input, outChannels, kernel: 3, stride, padding: 1);
    }

    private static SampleShape ProbeOutputShape(Func<SampleShape, nn.Module<Tensor, Tensor>> create, SampleShape input)
    {
        using var scope = torch.NewDisposeScope();
        using var module = create(input);
        module.eval();
        using var noGrad = torch.no_grad();
        Tensor output;
        try
        {
            output = module.call(torch.zeros(input.WithBatch(1)));
        }
        catch (Exception ex) when (ex is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new ShapeRules.Rejected($"fails in a trial forward: {ex.Message}");
        }

        if (output.dim() < 1 || output.shape[0] != 1)
        {
            throw new ShapeRules.Rejected($"gives output [{string.Join(", ", output.shape)}], which does not keep the batch dimension first");
        }

        return new SampleShape(output.shape[1..]);
    }

    private CnnBuilder Append(string kind, string description, Func<SampleShape, SampleShape> outputShape, Func<SampleShape, nn.Module<Tensor, Tensor>> create, LayerCall? call, string? explicitName = null)
    {
        var input = OutputShape;
        SampleShape output;
        try
        {
            output = outputShape(input);
        }
        catch (Exception ex) when (ex is ShapeRules.Rejected or ArgumentException or InvalidOperationException)
        {
            var reason = ex is ShapeRules.Rejected ? ex.Message : $"is rejected: {ex.Message}";
            throw new LayerShapeException(_layers.Count, description, input, reason, ex);
        }

        var name = explicitName;
        if (name is null)
        {
            _kindCounts[kind] = _kindCounts.GetValueOrDefault(kind) + 1;
            name = UniqueName($"{kind}{_kindCounts[kind]}");
        }

        _names.Add(name);
        _layers.Add(new BuilderLayer(name, description, input, output, create, call ?? new LayerCall(LayerSpec.CustomKind, new Dictionary<string, JsonElement> { ["description"] = JsonSerializer.SerializeToElement(description) })));
        return this;
    }

    private string UniqueName(string candidate)
    {
        var name = candidate;
        for (var suffix = 2; _names.Contains(name); suffix++)
        {
            name = $"{candidate}_{suffix}";
        }

        return name;
    }

    private void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Layer name '{name}' contains a dot; dots separate levels in state-dict keys.", nameof(name));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"Layer name '{name}' is already used in this model.", nameof(name));
        }
    }

    private static string Describe(string type, long[] positional, params (string Name, long Value, long Default)[] named)
    {
        var parts = positional.Select(value => value.ToString(CultureInfo.InvariantCulture))
            .Concat(named.Where(option => option.Value != option.Default).Select(option => option.Name switch
            {
                "bias" or "ceil_mode" or "batchNorm" => $"{option.Name}={(option.Value != 0 ? "True" : "False")}",
                _ => $"{option.Name}={option.Value.ToString(CultureInfo.InvariantCulture)}",
            }));
        return $"{type}({string.Join(", ", parts)})";
    }

    private static LayerCall Call(string method, params (string Name, object Value)[] arguments) =>
        new(method, arguments.ToDictionary(argument => argument.Name, argument => JsonSerializer.SerializeToElement(argument.Value)));

    private sealed record LayerCall(string Method, IReadOnlyDictionary<string, JsonElement> Arguments);

    private sealed record BuilderLayer(string Name, string Description, SampleShape InputShape, SampleShape OutputShape, Func<SampleShape, nn.Module<Tensor, Tensor>> Create, LayerCall Call)
    {
        public LayerDefinition Definition => new(Name, Description, InputShape, OutputShape);

        public LayerSpec Spec => new(Call.Method, Name, Call.Arguments);
    }
}
