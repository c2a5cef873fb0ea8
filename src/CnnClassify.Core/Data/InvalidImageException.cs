namespace CnnClassify.Data;

/// <summary>An image file that cannot be used: empty, truncated, not an image, or too large.</summary>
public sealed class InvalidImageException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file.</param>
    /// <param name="reason">What is wrong with it.</param>
    /// <param name="innerException">The decoder's error, if any.</param>
    public InvalidImageException(string path, string reason, Exception? innerException = null)
        : base($"Image '{path}' cannot be used: {reason}.", innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }

    /// <summary>Whether the image was refused for its size alone: its header claims more pixels than the limit allows (read before anything is decoded).</summary>
    public bool ExceedsPixelLimit { get; init; }
}
