using System.Runtime.InteropServices;
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
public sealed partial class CnnBuilder
{
    private readonly List<BuilderLayer> _layers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _kindCounts = new(StringComparer.Ordinal);
    private WeightInitialization _weightInitialization = WeightInitialization.PyTorchDefault;
    private Preprocessing? _preprocessing;

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

    /// <summary>Most parameters a recorded architecture may need to be rebuilt: 2,000,000,000 (8 GB in float32; torchvision's largest CNN has 645 million).</summary>
    public const double MaxParameters = 2e9;

    /// <summary>Most values one sample may have after any layer of a rebuilt architecture: 2^30 (4 GiB in float32).</summary>
    public const double MaxSampleElements = 1 << 30;

    /// <summary>
    /// Repeats the builder calls that <paramref name="architecture"/> records, such as those a
    /// checkpoint stores, giving a builder whose <see cref="Build"/> makes the same model.
    /// </summary>
    /// <param name="architecture">The input shape and layer calls, from <see cref="CnnModel.Architecture"/>.</param>
    /// <exception cref="ArgumentException">A layer was made by code (<see cref="Add"/> or a custom activation), or its description is damaged; the message names the layer.</exception>
    public static CnnBuilder FromArchitecture(CnnArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (architecture.InputShape is null || architecture.Layers is null || architecture.Layers.Any(layer => layer?.Layer is null || layer.Name is null))
        {
            throw new ArgumentException("The architecture lacks its input shape, its layers, or a layer's name or record.", nameof(architecture));
        }

        if (architecture.Layers.Count > MaxLayers || architecture.InputShape.Count is < 1 or > 4 || architecture.InputShape.Any(d => d is < 1 or > Inference.ModelLimits.MaxInputSide))
        {
            throw new ArgumentException($"The architecture has {architecture.Layers.Count:N0} layers and input [{string.Join(", ", architecture.InputShape.Take(8))}]; at most {MaxLayers:N0} layers and 1 to {Inference.ModelLimits.MaxInputSide:N0} per input size are rebuilt.", nameof(architecture));
        }

        var builder = Input(new SampleShape([.. architecture.InputShape]));
        double parameters = 0;
        for (var i = 0; i < architecture.Layers.Count; i++)
        {
            var (name, spec) = architecture.Layers[i];
            if (spec is CustomLayer custom)
            {
                throw new ArgumentException($"Layer {i} '{name}' was added by code ({custom.Description}), so it cannot be rebuilt from a description; build the model with the same CnnBuilder calls and load the weights into it.", nameof(architecture));
            }

            try
            {
                parameters += spec.ParameterCount(builder.OutputShape);
                builder.Append(spec);
                var values = builder.OutputShape.Dimensions.Aggregate(1.0, (product, dimension) => product * dimension);
                if (parameters > MaxParameters || values > MaxSampleElements)
                {
                    throw new ArgumentException($"with it the model needs about {parameters:N0} parameters and {values:N0} values a sample; at most {MaxParameters:N0} and {MaxSampleElements:N0} are rebuilt from a description");
                }
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or LayerShapeException or OverflowException)
            {
                throw new ArgumentException($"Layer {i} '{name}' ({spec.GetType().Name}) cannot be rebuilt from its description: {ex.Message}", nameof(architecture), ex);
            }

            if (builder._layers[^1].Name != name)
            {
                builder.Named(name);
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
    public CnnBuilder Conv(long outChannels, long kernel, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true) =>
        Append(new ConvLayer(outChannels, kernel, stride, padding, dilation, groups, bias));

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
        var act = activation ?? ActivationFunction.ReLU;
        var spec = new ConvBlockLayer(outChannels, kernel, stride, padding ?? ((kernel - 1) / 2), act.Name, batchNorm);
        if (!act.IsCustom)
        {
            return Append(spec);
        }

        // An activation made by code is recorded by description; the other arguments are checked as usual.
        (spec with { Activation = ActivationFunction.ReLU.Name }).Validate();
        return Append(new CustomLayer(spec.Describe(OutputShape)), spec.NamePrefix, spec.OutputShape,
            input => new ConvBlock(input.Channels, spec.OutChannels, spec.Kernel, spec.Stride, spec.Pad, batchNorm: batchNorm, activation: act));
    }

    /// <summary>Adds a BatchNorm over the channels of an image (BatchNorm2d) or the features of a vector (BatchNorm1d).</summary>
    /// <param name="eps">Added to the variance for stability.</param>
    /// <param name="momentum">Weight of the newest batch in the running statistics.</param>
    /// <exception cref="LayerShapeException">The input is neither an image nor a vector.</exception>
    public CnnBuilder BatchNorm(double eps = 1e-5, double momentum = 0.1) => Append(new BatchNormLayer(eps, momentum));

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

        return activation.IsCustom
            ? Append(new CustomLayer(activation.Name), ActivationLayer.PrefixOf(activation.Name), input => input, _ => activation.CreateModule()!)
            : Append(new ActivationLayer(activation.Name));
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

    /// <summary>Adds hard swish, x * ReLU6(x + 3) / 6, MobileNetV3's activation.</summary>
    public CnnBuilder Hardswish() => Activation(ActivationFunction.Hardswish);

    /// <summary>Adds hard sigmoid, ReLU6(x + 3) / 6.</summary>
    public CnnBuilder Hardsigmoid() => Activation(ActivationFunction.Hardsigmoid);

    /// <summary>Adds a 2-D max pooling.</summary>
    /// <param name="kernel">Square window size, at least 1.</param>
    /// <param name="stride">Stride; <see langword="null"/> means the kernel size.</param>
    /// <param name="padding">Implicit padding on each side, at most half the kernel.</param>
    /// <param name="ceilMode">Whether to round the output size up, keeping a partial last window.</param>
    /// <exception cref="LayerShapeException">The input is not an image or would shrink below 1x1.</exception>
    public CnnBuilder MaxPool(long kernel, long? stride = null, long padding = 0, bool ceilMode = false) =>
        Append(new MaxPoolLayer(kernel, stride ?? kernel, padding, ceilMode));

    /// <summary>Adds a 2-D average pooling (padding counts as zeros in the average, as in PyTorch).</summary>
    /// <param name="kernel">Square window size, at least 1.</param>
    /// <param name="stride">Stride; <see langword="null"/> means the kernel size.</param>
    /// <param name="padding">Implicit zero padding on each side, at most half the kernel.</param>
    /// <param name="ceilMode">Whether to round the output size up, keeping a partial last window.</param>
    /// <exception cref="LayerShapeException">The input is not an image or would shrink below 1x1.</exception>
    public CnnBuilder AvgPool(long kernel, long? stride = null, long padding = 0, bool ceilMode = false) =>
        Append(new AvgPoolLayer(kernel, stride ?? kernel, padding, ceilMode));

    /// <summary>Adds a pooling that averages each channel over the whole image: CxHxW becomes C.</summary>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder GlobalAvgPool() => Append(new GlobalAvgPoolLayer());

    /// <summary>Adds a pooling that takes each channel's maximum over the whole image: CxHxW becomes C.</summary>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder GlobalMaxPool() => Append(new GlobalMaxPoolLayer());

    /// <summary>Adds an adaptive average pooling to a fixed output size, whatever the input size.</summary>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder AdaptiveAvgPool(long height, long width) => Append(new AdaptiveAvgPoolLayer(height, width));

    /// <summary>Adds an adaptive max pooling to a fixed output size, whatever the input size.</summary>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder AdaptiveMaxPool(long height, long width) => Append(new AdaptiveMaxPoolLayer(height, width));

    /// <summary>Adds a flatten: any shape becomes a vector of its element count.</summary>
    public CnnBuilder Flatten() => Append(new FlattenLayer());

    /// <summary>Adds a fully connected layer; its input features are inferred.</summary>
    /// <param name="outFeatures">Output features, at least 1.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <exception cref="LayerShapeException">The input is not a vector.</exception>
    public CnnBuilder Dense(long outFeatures, bool bias = true) => Append(new LinearLayer(outFeatures, bias));

    /// <summary>Adds dropout, which zeroes each element with probability <paramref name="probability"/> while training.</summary>
    /// <param name="probability">Drop probability in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is outside [0, 1).</exception>
    public CnnBuilder Dropout(double probability = 0.5) => Append(new DropoutLayer(probability));

    /// <summary>Adds AlexNet's local response normalisation across channels (see <see cref="LocalResponseNormalization"/>).</summary>
    /// <param name="size">Channels in the window (AlexNet: 5).</param>
    /// <param name="alpha">Scale of the sum of squares, not divided by the size (AlexNet: 1e-4).</param>
    /// <param name="beta">Exponent (AlexNet: 0.75).</param>
    /// <param name="k">Additive constant (AlexNet: 2).</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder LocalResponseNorm(long size = 5, double alpha = 1e-4, double beta = 0.75, double k = 2.0) =>
        Append(new LocalResponseNormLayer(size, alpha, beta, k));

    /// <summary>Adds a <see cref="BasicResidualBlock"/> (two 3x3 convolutions and a shortcut).</summary>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="stride">Stride, at least 1; 2 halves the height and width.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Residual(long outChannels, long stride = 1) => Append(new ResidualLayer(outChannels, stride));

    /// <summary>Adds a <see cref="BottleneckResidualBlock"/> with <c>planes * 4</c> output channels.</summary>
    /// <param name="planes">Base width, at least 1.</param>
    /// <param name="stride">Stride of the 3x3 convolution, at least 1.</param>
    /// <param name="groups">Groups of the 3x3 convolution.</param>
    /// <param name="baseWidth">Width per group; the inner width is <c>planes * baseWidth / 64 * groups</c>.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Bottleneck(long planes, long stride = 1, long groups = 1, long baseWidth = 64) =>
        Append(new BottleneckLayer(planes, stride, groups, baseWidth));

    /// <summary>Adds GoogLeNet's <see cref="InceptionBlock"/>; the height and width are kept.</summary>
    /// <param name="channels">The four branches' channel counts.</param>
    /// <param name="wideKernelSize">Kernel of the wide branch: 3 (torchvision) or 5 (the paper).</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Inception(InceptionChannels channels, long wideKernelSize = 3)
    {
        ArgumentNullException.ThrowIfNull(channels);
        return Append(InceptionLayer.For(channels, wideKernelSize));
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
        return Append(new CustomLayer(name), name, outputShape ?? (input => ProbeOutputShape(create, input)), create, explicitName: name);
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
        _names.Remove(_layers[^1].Name);
        _names.Add(name);
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

    /// <summary>
    /// Describes how images become this model's input at evaluation time (resize, crop,
    /// interpolation, normalisation). The model carries it into its checkpoint, ONNX file and
    /// predictors, and <c>model.Configuration.EvalTransform()</c> builds the evaluation transform
    /// from it; the default is none (the image at the input size, scaled to [0, 1]).
    /// </summary>
    /// <param name="preprocessing">Such as <c>new Preprocessing { ResizeSize = 72, Mean = Preprocessing.ImageNetMean, Std = Preprocessing.ImageNetStd }</c>.</param>
    public CnnBuilder WithPreprocessing(Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        _preprocessing = preprocessing;
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
        var architecture = new CnnArchitecture(InputShape.Dimensions, _layers.Select(layer => layer.Record).ToList());
        var model = new CnnModel(InputShape, Layers, modules, architecture);
        _weightInitialization.Apply(model);
        if (_preprocessing is not null)
        {
            model.Configuration = model.Configuration with { Preprocessing = _preprocessing };
        }

        return model;
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

    private CnnBuilder Append(LayerSpec spec) => Append(spec, spec.NamePrefix, spec.OutputShape, spec.Create);

    private CnnBuilder Append(LayerSpec spec, string prefix, Func<SampleShape, SampleShape> outputShape, Func<SampleShape, nn.Module<Tensor, Tensor>> create, string? explicitName = null)
    {
        spec.Validate();
        var input = OutputShape;
        var description = spec.Describe(input);
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
            _kindCounts[prefix] = _kindCounts.GetValueOrDefault(prefix) + 1;
            name = UniqueName($"{prefix}{_kindCounts[prefix]}");
        }

        _names.Add(name);
        _layers.Add(new BuilderLayer(name, description, input, output, create, spec));
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



    private sealed record BuilderLayer(string Name, string Description, SampleShape InputShape, SampleShape OutputShape, Func<SampleShape, nn.Module<Tensor, Tensor>> Create, LayerSpec Spec)
    {
        public LayerDefinition Definition => new(Name, Description, InputShape, OutputShape);

        public ArchitectureLayer Record => new(Name, Spec);
    }
}
