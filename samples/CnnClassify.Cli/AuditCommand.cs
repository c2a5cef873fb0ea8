using System.CommandLine;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Evaluation;
using CnnClassify.Models;
using CnnClassify.Reporting;
using CnnClassify.Training;

namespace CnnClassify.Cli;

/// <summary>
/// <c>audit</c>: ranks an image folder's suspected label errors by confident learning's
/// self-confidence, from out-of-sample predictions (a checkpoint trained on other data, or k-fold
/// cross-validated training), and finds near-duplicate images; writes label_issues.csv,
/// near_duplicates.csv and audit.html.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(TextWriter output)
    {
        var data = new Option<string>("--data") { Description = "Image folder to audit: one subfolder per class.", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint of a model that never trained on these images; without it, --folds models are trained." };
        var model = new Option<string>("--model") { Description = "The architecture trained on each fold.", DefaultValueFactory = _ => "simplecnn" };
        var folds = new Option<int>("--folds") { Description = "Folds of cross-validation: each is predicted by a model trained on the others (2 to 20).", DefaultValueFactory = _ => 5 }.Between(2, 20);
        var epochs = new Option<int>("--epochs") { Description = "Epochs per fold.", DefaultValueFactory = _ => 5 }.Between(1, 1000);
        var imageSize = new Option<int>("--image-size") { Description = "Input side the fold models train at.", DefaultValueFactory = _ => 64 }.Between(8, 1024);
        var grayscale = new Option<bool>("--grayscale") { Description = "Read the images as one gray channel (fold models)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Batch size of fold training.", DefaultValueFactory = _ => 32 }.Between(1, 4096);
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate of fold training.", DefaultValueFactory = _ => 1e-3 }.Above(0);
        var seed = new Option<int>("--seed") { Description = "Seeds the folds and the training.", DefaultValueFactory = _ => 0 };
        var duplicateBits = new Option<int>("--duplicate-bits") { Description = "Most differing bits of two 64-bit image hashes for a near-duplicate pair (0 to 16; 0 finds only identical pictures).", DefaultValueFactory = _ => 4 }.Between(0, 16);
        var duplicateDifference = new Option<double>("--duplicate-difference") { Description = "Largest mean difference, in gray levels (0 to 255), of two candidates' 16 x 16 thumbnails (each less its mean brightness) for a near-duplicate pair.", DefaultValueFactory = _ => 4 }.From(0, 255);
        var top = new Option<int>("--top") { Description = "Suspects shown with thumbnails in audit.html (1 to 1,000).", DefaultValueFactory = _ => 100 }.Between(1, 1000);
        var followLinks = new Option<bool>("--follow-links") { Description = "Follow links in the folder that lead outside it." };
        var outDir = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var command = new Command("audit", "Find suspected label errors (confident learning on out-of-sample predictions) and near-duplicate images; writes label_issues.csv, near_duplicates.csv and audit.html.")
        {
            data, checkpoint, model, folds, epochs, imageSize, grayscale, batchSize, lr, seed, duplicateBits, duplicateDifference, top, followLinks, outDir,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var directory = CliApp.OutputFolder(parse.GetValue(outDir)!);
            var root = parse.GetValue(data)!;
            if (!Directory.Exists(root))
            {
                throw new UsageException($"--data '{root}' is not a folder.");
            }

            if (parse.GetValue(checkpoint) is not null && new Option[] { model, folds, epochs, imageSize, grayscale, batchSize, lr }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } foldOption)
            {
                throw new UsageException($"{foldOption.Name} sets up the fold models; with --checkpoint the checkpoint's model predicts, so leave it out.");
            }

            var warnings = new WarningLogger(output);
            using var trained = parse.GetValue(checkpoint) is { } path ? Checkpoint.LoadModel(path) : null;
            var architecture = parse.GetValue(model)!;
            var size = parse.GetValue(imageSize);
            if (trained is null)
            {
                if (!ModelZoo.Names.Contains(architecture))
                {
                    throw new UsageException($"--model '{architecture}' is not in the zoo; see 'cnnclassify summary --help' for the names.");
                }

                CliApp.CheckImageSize(architecture, size, "--image-size");
            }

            var colorMode = trained?.Configuration.ColorMode ?? (parse.GetValue(grayscale) ? ColorMode.Grayscale : ColorMode.Rgb);
            var decode = trained is { } m ? (m.Configuration.Preprocessing.ResizeSize is { } side ? DecodeSize.ShortSide(side) : DecodeSize.Box(m.Configuration.InputHeight, m.Configuration.InputWidth)) : DecodeSize.Box(size, size);
            var images = new ImageFolderDataset(root, new ImageFolderOptions { ColorMode = colorMode, DecodeSize = decode, FollowLinks = parse.GetValue(followLinks), Logger = warnings });
            if (images.Count == 0)
            {
                throw new InvalidDataException($"--data '{root}' holds no readable images in class folders.");
            }

            if (trained is not null && !images.Classes.SequenceEqual(trained.Configuration.ClassNames))
            {
                throw new InvalidDataException($"The folder's classes [{string.Join(", ", images.Classes)}] differ from the checkpoint's [{string.Join(", ", trained.Configuration.ClassNames)}].");
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            PredictionSet predictions;
            if (trained is not null)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"predicting {images.Count:N0} images with {Path.GetFileName(parse.GetValue(checkpoint))} ({trained.Configuration.Architecture})"));
                predictions = PredictionSet.Collect(trained, new DataLoader(images, trained.Configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 256, Logger = warnings }));
            }
            else
            {
                var foldCount = parse.GetValue(folds);
                if (images.Count < 2 * foldCount)
                {
                    throw new UsageException($"--folds {foldCount} needs at least {2 * foldCount} images; '{root}' has {images.Count}.");
                }

                var settings = new FoldTraining(architecture, size, colorMode == ColorMode.Grayscale ? 1 : 3, parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(lr), parse.GetValue(seed), warnings);
                var fold = 0;
                predictions = LabelAudit.CrossValidate(images, foldCount, parse.GetValue(seed), (train, heldOut) =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fold {++fold}/{foldCount}: training {architecture} on {train.Count:N0} images for {settings.Epochs} epoch(s), predicting {heldOut.Count:N0}"));
                    return settings.TrainAndPredict(train, heldOut, cancellationToken);
                });
            }

            var audit = LabelAudit.Find(predictions);
            var duplicates = NearDuplicates.Find(images, parse.GetValue(duplicateBits), parse.GetValue(duplicateDifference));
            Directory.CreateDirectory(directory);
            audit.SaveCsv(Path.Combine(directory, "label_issues.csv"), images);
            NearDuplicates.SaveCsv(Path.Combine(directory, "near_duplicates.csv"), duplicates, images);
            LabelAuditPage.Save(Path.Combine(directory, "audit.html"), audit, images, duplicates, parse.GetValue(top));

            var issues = audit.Issues;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audited {audit.Ranked.Count:N0} images in {clock.Elapsed.TotalSeconds:F0} s: {issues.Count:N0} suspected label errors ({(double)issues.Count / audit.Ranked.Count:P1}), {duplicates.Count:N0} near-duplicate pairs ({duplicates.Count(d => d.Conflicting):N0} labelled differently)"));
            var files = images.Files;
            foreach (var row in audit.Ranked.Take(10))
            {
                output.WriteLine(CliApp.Printable(string.Create(CultureInfo.InvariantCulture, $"  #{row.Rank} {Path.GetRelativePath(root, files[row.Index])}: given {audit.ClassNames[row.Given]} ({row.SelfConfidence:P0}), suggested {audit.ClassNames[row.Suggested]} ({row.SuggestedProbability:P0}){(row.IsIssue ? ", issue" : string.Empty)}")));
            }

            output.WriteLine($"outputs in {directory}: label_issues.csv, near_duplicates.csv, audit.html");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>The recipe of each fold's model: AdamW, cross-entropy, a resize to the input side with random horizontal flips, ImageNet's normalisation.</summary>
    private sealed record FoldTraining(string Architecture, int Size, int Channels, int Epochs, int BatchSize, double LearningRate, int Seed, WarningLogger Warnings)
    {
        public PredictionSet TrainAndPredict(IImageDataset train, IImageDataset heldOut, CancellationToken cancellationToken)
        {
            Seeding.Seed(Seed);
            using var network = ModelZoo.Create(Architecture, new ModelOptions { NumClasses = train.Classes.Count, InChannels = Channels, ImageSize = Size });
            network.Configuration = network.Configuration with { InChannels = Channels, InputHeight = Size, InputWidth = Size, Preprocessing = Preprocessing.ImageNet(Channels) with { ResizeSize = null } };
            var evaluation = network.Configuration.EvalTransform();
            var training = new Compose(new RandomHorizontalFlip(), evaluation);
            var trainer = Trainer.For(network).UseOptimizer(OptimizerSpec.AdamW(LearningRate)).UseSeed(Seed).UseLogger(Warnings).Build();
            trainer.Fit(new DataLoader(train, training, new DataLoaderOptions { BatchSize = BatchSize, Shuffle = true, Seed = Seed, Logger = Warnings }), validation: null, Epochs, cancellationToken);
            return PredictionSet.Collect(network, new DataLoader(heldOut, evaluation, new DataLoaderOptions { BatchSize = 256, Logger = Warnings }));
        }
    }
}
