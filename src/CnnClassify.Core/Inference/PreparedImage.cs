namespace CnnClassify.Inference;

/// <summary>
/// One image as a model takes it, made by <see cref="IImageClassifier.Prepare"/> and consumed by
/// the same classifier's <see cref="IImageClassifier.Classify"/>. What it holds is the classifier's
/// own business (pixel arrays, a native tensor); dispose it when done.
/// </summary>
public abstract class PreparedImage : IDisposable
{
    /// <summary>Creates the image.</summary>
    /// <param name="sourceName">The name the prediction will carry.</param>
    protected PreparedImage(string sourceName) => SourceName = sourceName ?? throw new ArgumentNullException(nameof(sourceName));

    /// <summary>The name the prediction carries.</summary>
    public string SourceName { get; }

    /// <summary>Releases what the image holds.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the image holds; override when it holds native memory.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
