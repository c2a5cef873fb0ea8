using CnnClassify.Models;
using CnnClassify.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Explanation;

/// <summary>
/// Shows where a model looks: class activation maps (Grad-CAM, Grad-CAM++ or Score-CAM) of one
/// layer for any zoo or builder model, or any module given a layer path.
/// </summary>
/// <remarks>
/// A forward hook puts a copy of the layer's output in its place, made from a leaf tensor, and
/// the gradient of the class logit with respect to that leaf comes from autograd
/// (<c>torch.autograd.grad</c>), so no parameter gradient is written. The model runs in evaluation mode and goes back to the mode it was in; parameters
/// and their <c>requires_grad</c> flags are not touched, and every tensor made along the way is
/// disposed.
/// </remarks>
/// <example><code>
/// var mapper = new ClassActivationMapper(model);                 // last convolutional stage
/// using var maps = mapper.Compute(images);                       // the predicted classes
/// using var heat = maps.Upsampled();                             // [N, H, W] at the input size
/// </code></example>
public sealed class ClassActivationMapper
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly nn.Module<Tensor, Tensor> _layer;

    /// <summary>Creates the mapper.</summary>
    /// <param name="model">The classifier; images [N, C, H, W] to logits [N, classes].</param>
    /// <param name="method">Grad-CAM, Grad-CAM++ or Score-CAM.</param>
    /// <param name="layer">
    /// The layer's state-dict path (<c>layer4</c>, <c>features.18</c>, <c>res2</c>); by default the
    /// last stage of a <see cref="ClassificationModel"/> whose output is a map larger than 1x1.
    /// </param>
    /// <exception cref="ArgumentException">No such layer, a layer that is not tensor to tensor, or no layer given for a model without stages.</exception>
    public ClassActivationMapper(nn.Module<Tensor, Tensor> model, CamMethod method = CamMethod.GradCam, string? layer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        LibTorchSetup.Ensure();
        _model = model;
        _task = model is ClassificationModel classifier ? Runtime.ClassificationTask.For(classifier.Configuration) : Runtime.ClassificationTask.SingleLabel;
        Method = method;
        Layer = layer ?? DefaultLayer(model);
        nn.Module found;
        try
        {
            found = ModuleSurgery.Find(model, Layer);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The model has no layer '{Layer}': {ex.Message}", nameof(layer), ex);
        }

        _layer = found as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"Layer '{Layer}' is a {found.GetType().Name}, which does not map one tensor to one tensor; name a layer or block inside it.", nameof(layer));
    }

    // The model's task turns a logit into the probability each map reports (softmax, or a label's sigmoid).
    private readonly Runtime.ClassificationTask _task;

    /// <summary>The method.</summary>
    public CamMethod Method { get; }

    /// <summary>The state-dict path of the layer whose activation is weighed.</summary>
    public string Layer { get; }

    /// <summary>The device the model's parameters are on.</summary>
    internal Device Device => _model.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>Masked inputs per forward pass for Score-CAM.</summary>
    public int ScoreCamBatchSize { get; init; } = 32;

    /// <summary>
    /// The last stage of <paramref name="model"/> whose output is a map larger than 1x1 (the stage
    /// module, such as <c>layer4</c>, or the last module of the stage that outputs one, followed
    /// through the parameter-free layers that run right after it with the same shape, such as the
    /// ReLU after a BatchNorm), found by a trial forward pass of one zero image at the model's
    /// configured input size.
    /// </summary>
    /// <param name="model">A <see cref="ClassificationModel"/>.</param>
    /// <exception cref="ArgumentException">The model is not a <see cref="ClassificationModel"/>, or no stage outputs a map.</exception>
    public static string DefaultLayer(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not ClassificationModel classifier)
        {
            throw new ArgumentException($"A {model.GetType().Name} has no stages to choose a layer from; name the layer (its state-dict path, such as 'layer4').", nameof(model));
        }

        // Every module's output shape, in the order the modules finish.
        var modules = classifier.named_modules().ToDictionary(m => m.name, m => m.module);
        var finished = new List<(string Path, long[] Shape)>();
        var removers = new List<Action>();
        foreach (var (path, module) in modules)
        {
            if (module is nn.Module<Tensor, Tensor> hooked)
            {
                var remover = hooked.register_forward_hook((_, _, output) =>
                {
                    finished.Add((path, output.shape));
                    return null!;
                });
                removers.Add(remover.remove);
            }
        }

        var configuration = classifier.Configuration;
        var wasTraining = classifier.training;
        try
        {
            classifier.eval();
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var device = classifier.parameters().FirstOrDefault()?.device ?? CPU;
            classifier.call(zeros([1, configuration.InChannels, configuration.InputHeight, configuration.InputWidth], device: device));
        }
        finally
        {
            removers.ForEach(remove => remove());
            classifier.train(wasTraining);
        }

        // From the last stage back: the stage itself when it is one module (layer4), else its modules from the last.
        var order = finished.Select((f, i) => (f.Path, f.Shape, Index: i)).GroupBy(f => f.Path).ToDictionary(g => g.Key, g => g.Last());
        var chosen = classifier.Stages.Reverse()
            .SelectMany(stage => modules.ContainsKey(stage.Name) ? [stage.Name] : stage.ModulePaths.Reverse())
            .FirstOrDefault(path => order.TryGetValue(path, out var f) && f.Shape.Length == 4 && f.Shape[2] * f.Shape[3] > 1)
            ?? throw new ArgumentException($"No stage of {classifier.GetType().Name} outputs a map larger than 1x1 at {configuration.InputHeight}x{configuration.InputWidth}; name the layer.", nameof(model));
        for (var next = order[chosen].Index + 1; next < finished.Count; next++)
        {
            var (path, shape) = finished[next];
            if (!shape.SequenceEqual(order[chosen].Shape) || modules[path].parameters().Any() || modules[path].children().Any())
            {
                break;
            }

            chosen = path;
        }

        return chosen;
    }

    /// <summary>Computes the maps for a batch of images.</summary>
    /// <param name="images">Preprocessed images [N, C, H, W] as the model takes them (normalised), on the model's device.</param>
    /// <param name="classes">The class to explain for each image; <see langword="null"/> for the predicted ones.</param>
    /// <returns>The maps; the caller disposes them.</returns>
    /// <exception cref="ArgumentException">The images are not a 4-D batch, the classes do not match it, or a class is out of range.</exception>
    public ClassActivationMaps Compute(Tensor images, IReadOnlyList<int>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[0] == 0)
        {
            throw new ArgumentException($"Expected a batch of images [N, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        var count = (int)images.shape[0];
        if (classes is not null && classes.Count != count)
        {
            throw new ArgumentException($"{classes.Count} classes given for {count} images.", nameof(classes));
        }

        var wasTraining = _model.training;
        Tensor? activation = null;
        var capture = true;
        // The layer's output is replaced by a copy of it made from a leaf this method owns: the
        // gradient is taken with respect to that leaf, and containers that dispose their
        // intermediate results (TorchSharp's Sequential does) or ReLUs that work in place
        // downstream touch only the copy.
        var remover = _layer.register_forward_hook((_, _, output) =>
        {
            if (!capture)
            {
                return null!;
            }

            capture = false;
            activation = output.detach().clone().DetachFromDisposeScope();
            activation.requires_grad_(Method != CamMethod.ScoreCam);
            return activation.clone();
        });
        try
        {
            _model.eval();
            using var scope = torch.NewDisposeScope();
            using var gradients = torch.enable_grad();
            var input = images.detach().to(ScalarType.Float32);
            var logits = _model.call(input).to(ScalarType.Float32);
            if (activation is null || activation.dim() != 4)
            {
                throw new InvalidOperationException($"Layer '{Layer}' {(activation is null ? "did not run in the forward pass" : $"outputs [{string.Join(", ", activation.shape)}], not a map [N, C, h, w]")}.");
            }

            var classCount = logits.shape[1];
            var predicted = logits.argmax(1).data<long>().Select(p => (int)p).ToArray();
            var targets = classes?.ToArray() ?? predicted;
            var outOfRange = targets.Where(c => c < 0 || c >= classCount).ToList();
            if (outOfRange.Count > 0)
            {
                throw new ArgumentException($"Class {outOfRange[0]} is out of range: the model has {classCount} classes.", nameof(classes));
            }

            var index = torch.tensor(targets.Select(c => (long)c).ToArray(), device: logits.device).unsqueeze(1);
            var probabilities = _task.Activate(logits.detach()).gather(1, index).squeeze(1).cpu().data<float>().ToArray();
            var map = Method switch
            {
                CamMethod.GradCam => GradCam(activation, Gradient(logits, index, activation)),
                CamMethod.GradCamPlusPlus => GradCamPlusPlus(activation, Gradient(logits, index, activation)),
                _ => ScoreCam(input.detach(), activation.detach(), targets),
            };
            return new ClassActivationMaps(
                // Owned by the result, not by any dispose scope around this call.
                map.detach().to(ScalarType.Float32).cpu().DetachFromDisposeScope(),
                targets,
                predicted,
                probabilities,
                Layer,
                Method,
                ((int)images.shape[2], (int)images.shape[3]));
        }
        finally
        {
            remover.remove();
            activation?.Dispose();
            _model.train(wasTraining);
        }
    }

    // d(sum_n logit[n, class_n]) / dA; images are independent in evaluation mode, so each image's slice is its own gradient.
    private static Tensor Gradient(Tensor logits, Tensor index, Tensor activation)
    {
        var score = logits.gather(1, index).sum();
        return torch.autograd.grad([score], [activation])[0];
    }

    private static Tensor GradCam(Tensor activation, Tensor gradient)
    {
        using var noGrad = torch.no_grad();
        var weights = gradient.mean([2, 3], keepdim: true);
        return (weights * activation.detach()).sum(1).relu();
    }

    private static Tensor GradCamPlusPlus(Tensor activation, Tensor gradient)
    {
        using var noGrad = torch.no_grad();
        var a = activation.detach();
        var g2 = gradient.square();
        var g3 = g2 * gradient;
        using var two = 2.ToScalar();
        var denominator = g2.mul(two).add(a.sum([2, 3], keepdim: true) * g3, HeldScalars.One);
        var nonzero = denominator.ne(HeldScalars.Zero);
        using var one = 1.ToScalar();
        using var zero = 0.ToScalar();
        var alpha = (g2 / denominator.masked_fill(nonzero.logical_not(), one)).masked_fill(nonzero.logical_not(), zero);
        var weights = (alpha * gradient.relu()).sum([2, 3], keepdim: true);
        return (weights * a).sum(1).relu();
    }

    private Tensor ScoreCam(Tensor input, Tensor activation, IReadOnlyList<int> targets)
    {
        using var noGrad = torch.no_grad();
        var size = new[] { input.shape[2], input.shape[3] };
        var maps = new List<Tensor>();
        for (var n = 0; n < targets.Count; n++)
        {
            // Each channel upsampled to the input size and scaled to [0, 1] is one mask.
            var channels = activation[n].unsqueeze(1);
            var masks = ClassActivationMaps.Scale(nn.functional.interpolate(channels, size, mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1)).unsqueeze(1);
            var image = input[n].unsqueeze(0);
            var weights = new List<Tensor>();
            for (long start = 0; start < masks.shape[0]; start += ScoreCamBatchSize)
            {
                var length = Math.Min(ScoreCamBatchSize, masks.shape[0] - start);
                var masked = image * masks.narrow(0, start, length);
                weights.Add(_model.call(masked).to(ScalarType.Float32).softmax(1)[.., targets[n]]);
            }

            var weight = torch.cat(weights, 0).view(-1, 1, 1);
            maps.Add((weight * activation[n].to(ScalarType.Float32)).sum([0L]).relu());
        }

        return torch.stack(maps);
    }
}
