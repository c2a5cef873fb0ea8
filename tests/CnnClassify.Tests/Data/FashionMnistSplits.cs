using CnnClassify.Data;

namespace CnnClassify.Tests.Data;

/// <summary>Fashion-MNIST's training and test splits from the installed copy; the test is skipped where none is installed outside the Debian 13 root.</summary>
internal static class FashionMnistSplits
{
    public static async Task<(TensorDataset Train, TensorDataset Test)> LoadAsync()
    {
        string directory;
        try
        {
            directory = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false);
        }
        catch (FileNotFoundException ex) when (Environment.GetEnvironmentVariable("CNNCLASSIFY_IN_ROOT") != "1")
        {
            Skip.If(true, $"Fashion-MNIST is not installed: {ex.Message}");
            throw;
        }

        return (MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist), MnistDataset.Load(directory, train: false, MnistVariant.FashionMnist));
    }
}
