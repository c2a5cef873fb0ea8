using System.CommandLine;
using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using CnnClassify.Runtime;

namespace CnnClassify.Cli;

/// <summary><c>evaluate</c> and <c>predict</c>: the test-time augmentation options: which views, how many augmented ones, and how they are averaged.</summary>
internal sealed class TestTimeArguments
{
    public TestTimeArguments()
    {
        Views.AcceptOnlyFromAmong("flip", "five-crop", "ten-crop", "augment");
        Average.AcceptOnlyFromAmong("probabilities", "logits");
    }

    public Option<string?> Views { get; } = new("--tta") { Description = "Test-time augmentation: flip (the image and its mirror), five-crop or ten-crop (torchvision's crops of the resized image), or augment (the plain image at 0.25 and --tta-views random crops and flips, as fastai's tta)." };

    public Option<int> Count { get; } = new Option<int>("--tta-views") { Description = "Augmented views for --tta augment.", DefaultValueFactory = _ => 4 }.Between(1, 63);

    public Option<string> Average { get; } = new("--tta-average") { Description = "Average the views' probabilities or their logits.", DefaultValueFactory = _ => "probabilities" };

    public IReadOnlyList<Option> All => [Views, Count, Average];

    /// <summary>The views asked for, made from the model's description; <see langword="null"/> without <c>--tta</c>.</summary>
    public TestTimeAugmentation? For(ParseResult parse, ModelConfiguration model)
    {
        var averaging = parse.GetValue(Average) == "logits" ? TestTimeAveraging.Logits : TestTimeAveraging.Probabilities;
        if (parse.GetValue(Views) is not { } views)
        {
            if (parse.GetResult(Count) is { Implicit: false } || parse.GetResult(Average) is { Implicit: false })
            {
                throw new UsageException("--tta-views and --tta-average go with --tta.");
            }

            return null;
        }

        if (views != "augment" && parse.GetResult(Count) is { Implicit: false })
        {
            throw new UsageException($"--tta-views counts the random views of --tta augment; --tta {views} has fixed views.");
        }

        return views switch
        {
            "flip" => TestTimeAugmentation.Flip(averaging),
            "five-crop" => TestTimeAugmentation.FiveCrop(model, averaging),
            "ten-crop" => TestTimeAugmentation.TenCrop(model, averaging),
            _ => TestTimeAugmentation.Augmented(RandomViews(model), parse.GetValue(Count), averaging: averaging),
        };
    }

    // The model's evaluation pipeline with a random crop (padded by an eighth, or from the larger
    // resized image) and a random flip: the CLI's light augmentation.
    private static Compose RandomViews(ModelConfiguration model)
    {
        var (height, width, preprocessing) = (model.InputHeight, model.InputWidth, model.Preprocessing);
        var steps = new List<IImageTransform>();
        var square = height == width;
        if (preprocessing.ResizeSize is { } side)
        {
            steps.Add(new Resize(side, preprocessing.Interpolation));
            steps.Add(square ? new RandomCrop(height) : new CenterCrop(height, width));
        }
        else
        {
            steps.Add(new Resize(height, width, preprocessing.Interpolation));
            if (square)
            {
                steps.Add(new RandomCrop(height, padding: Math.Max(1, height / 8)));
            }
        }

        steps.Add(new RandomHorizontalFlip());
        steps.Add(new ToTensor());
        if (preprocessing.Mean.Count > 0)
        {
            steps.Add(new Normalize(preprocessing.Mean, preprocessing.Std));
        }

        return new Compose([.. steps]);
    }
}
