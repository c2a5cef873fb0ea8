namespace CnnClassify.Data;

/// <summary>What the <see cref="DataLoader"/> does with a sample whose image cannot be decoded.</summary>
public enum InvalidSamplePolicy
{
    /// <summary>Leave the sample out of its batch and log a warning naming its file.</summary>
    Skip,

    /// <summary>Stop with the <see cref="InvalidImageException"/>, which names the file.</summary>
    Throw,
}
