using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Progressive resizing (fastai, fastbook chapter 7): early epochs train on smaller images, later
/// ones at the model's input size. Before each training batch's forward pass the inputs are
/// resized to the epoch's size, bilinearly with antialiasing when they shrink (as a
/// <c>Resize</c> of the images would); validation and the model's description stay at the full
/// size, so checkpoints record the final size and predictors prepare images at it.
/// </summary>
/// <example><code>
/// // 64 pixels at first, 224 for the last quarter of the epochs, in steps of 32.
/// builder.AddCallback(ProgressiveResizing.Linear(startSize: 64, finalSize: 224, multiple: 32));
/// </code></example>
public sealed class ProgressiveResizing : TrainerCallback
{
    private readonly Func<int, int, int> _sizeAt;

    /// <summary>Resizes each epoch's training batches to the size <paramref name="sizeAt"/> gives.</summary>
    /// <param name="sizeAt">The side for (epoch, epochs), epochs counted from 0; the inputs' own size leaves them as they are.</param>
    /// <param name="description">Says what the schedule is, for logs.</param>
    public ProgressiveResizing(Func<int, int, int> sizeAt, string description)
    {
        _sizeAt = sizeAt ?? throw new ArgumentNullException(nameof(sizeAt));
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Description = description;
    }

    /// <summary>What the schedule is.</summary>
    public string Description { get; }

    /// <summary>The side training batches of <paramref name="epoch"/> (from 0) are resized to, out of <paramref name="epochs"/>.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="epochs">The run's epochs.</param>
    public int SizeAt(int epoch, int epochs) => _sizeAt(epoch, epochs);

    /// <summary>
    /// A linear ramp from <paramref name="startSize"/> at the first epoch to
    /// <paramref name="finalSize"/>, reached when a quarter of the run's epochs remain (fastai's
    /// advice: finish at full size), in steps of <paramref name="multiple"/> pixels.
    /// </summary>
    /// <param name="startSize">The first epoch's side, at least 8.</param>
    /// <param name="finalSize">The model's input side, at least <paramref name="startSize"/>.</param>
    /// <param name="multiple">Sizes are rounded to the nearest multiple of this, from 1 to 64.</param>
    public static ProgressiveResizing Linear(int startSize, int finalSize, int multiple = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(startSize, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(finalSize, startSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiple, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(multiple, 64);
        return new ProgressiveResizing((epoch, total) => RampSize(startSize, finalSize, epoch, total, multiple), $"progressive resizing {startSize} to {finalSize} px (full size for the last quarter of the epochs, steps of {multiple})");
    }

    /// <summary>The ramp's size at an epoch: a linear step from start to final over the first three quarters, rounded to the multiple, and never below start or above final.</summary>
    internal static int RampSize(int start, int final, int epoch, int epochs, int multiple)
    {
        var rampEpochs = epochs - (int)Math.Ceiling(epochs / 4.0);
        if (rampEpochs <= 0 || epoch >= rampEpochs)
        {
            return final;
        }

        var side = start + ((final - start) * (double)epoch / rampEpochs);
        var rounded = (int)Math.Round(side / multiple, MidpointRounding.AwayFromZero) * multiple;
        return Math.Clamp(rounded, start, final);
    }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Every size of the schedule must go through the model; a flattened head that needs one
        // size fails here, naming the size, instead of in the middle of an epoch.
        var configuration = context.Trainer.Configuration;
        var sizes = Enumerable.Range(0, context.Epochs).Select(e => SizeAt(e, context.Epochs)).Distinct().Where(s => s != configuration.InputHeight || s != configuration.InputWidth).ToList();
        if (sizes.Count == 0)
        {
            return;
        }

        var model = context.Trainer.Model;
        var training = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var side in sizes)
            {
                using var scope = torch.NewDisposeScope();
                try
                {
                    context.Trainer.Settings.Forward.call(zeros([1, configuration.InChannels, side, side], device: context.Trainer.Device));
                }
                catch (Exception ex) when (ex is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
                {
                    throw new ArgumentException($"Progressive resizing: the model does not take {side}x{side} inputs ({ex.Message.Split('\n')[0].Trim()}); start at a size it takes, or use a model with a global pool.", ex);
                }
            }
        }
        finally
        {
            model.train(training);
        }
    }

    /// <inheritdoc />
    public override void OnForwardBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var inputs = context.Inputs;
        if (inputs is null || inputs.dim() != 4)
        {
            return;
        }

        var side = SizeAt(context.Epoch, context.Epochs);
        if (inputs.shape[2] == side && inputs.shape[3] == side)
        {
            return;
        }

        var shrinking = side < inputs.shape[2] || side < inputs.shape[3];
        context.Inputs = nn.functional.interpolate(inputs, [side, side], mode: InterpolationMode.Bilinear, align_corners: false, antialias: shrinking);
    }
}
