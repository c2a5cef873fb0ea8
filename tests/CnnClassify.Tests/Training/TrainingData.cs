using CnnClassify.Data;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

/// <summary>Small, easily separable data and tiny models for the trainer tests.</summary>
internal static class TrainingData
{
    /// <summary>1x4x4 images: class c lights pixel 5c (value 200) over noise below 60.</summary>
    public static TensorDataset Separable(int count, int seed = 0, bool invertLabels = false, IReadOnlyList<string>? classes = null)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 16];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            var label = i % 3;
            for (var p = 0; p < 16; p++)
            {
                pixels[(i * 16) + p] = (byte)random.Next(60);
            }

            pixels[(i * 16) + (5 * label)] = 200;
            labels[i] = invertLabels ? (label + 1) % 3 : label;
        }

        return new TensorDataset(torch.tensor(pixels, [count, 1, 4, 4], ScalarType.Byte), labels, classes ?? ["a", "b", "c"]);
    }

    public static DataLoader Loader(IImageDataset dataset, int batchSize = 16, bool shuffle = true, int seed = 0) =>
        new(dataset, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = batchSize, Shuffle = shuffle, Seed = seed });

    /// <summary>Flatten then one linear layer: 51 parameters.</summary>
    public static CnnModel Linear(int seed = 0)
    {
        torch.manual_seed(seed);
        return CnnBuilder.Input(1, 4, 4).Flatten().Dense(3).Build();
    }

    /// <summary>A conv, BatchNorm, ReLU, dropout and linear head.</summary>
    public static CnnModel Conv(int seed = 0)
    {
        torch.manual_seed(seed);
        return CnnBuilder.Input(1, 4, 4).Conv(8, 3, padding: 1).BatchNorm().ReLU().Flatten().Dropout(0.2).Dense(3).Build();
    }

    public static float[] Weights(nn.Module model) =>
        model.parameters().SelectMany(p => p.detach().cpu().to(ScalarType.Float32).data<float>().ToArray()).ToArray();
}
