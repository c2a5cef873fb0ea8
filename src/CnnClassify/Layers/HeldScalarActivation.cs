using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// An activation with a numeric setting that it passes to LibTorch as one Scalar held for the
/// module's life, so no call receives a Scalar the finalizer may free (see <see cref="LeakyReLU"/>, <see cref="ELU"/>).
/// </summary>
public abstract class HeldScalarActivation : nn.Module<Tensor, Tensor>
{
    private protected HeldScalarActivation(string name, double setting)
        : base(name) => Setting = setting.ToScalar();

    /// <summary>The held setting.</summary>
    private protected Scalar Setting { get; }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Setting.Dispose();
        }

        base.Dispose(disposing);
    }
}
