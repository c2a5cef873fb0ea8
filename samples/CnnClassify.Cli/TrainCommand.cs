using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CnnClassify.Data;
using CnnClassify.Distributed;
using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Reporting;
using CnnClassify.Runtime;
using CnnClassify.Serialization;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Cli;

/// <summary>
/// <c>train</c>: trains a zoo model and writes checkpoints, history, plots and reports; and
/// <c>lr-find</c>, the learning-rate range test on the same model, data and optimizer.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Creates <c>train</c>, or <c>lr-find</c> when <paramref name="rangeTest"/> holds.</summary>
    public static Command Create(TextWriter output, bool rangeTest = false)
    {
        var model = new Option<string>("--model") { Description = "Zoo model name, or a model description file (.json, as ModelConfiguration.ToJson writes it: a CnnBuilder model's layers).", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "fashion-mnist, mnist, cifar10, imagefolder or csv (implied by --labels)." };
        var table = new LabelTableArguments();
        var loss = new Option<string>("--loss") { Description = "auto (cross-entropy, or binary cross-entropy for multi-label data), focal (single-label) or asymmetric (multi-label).", DefaultValueFactory = _ => "auto" };
        loss.AcceptOnlyFromAmong("auto", "focal", "asymmetric");
        var thresholds = new Option<string>("--thresholds") { Description = "Multi-label decision thresholds chosen on validation after each epoch: per-class (each label's best F1), global (one for all, best micro F1) or none (0.5).", DefaultValueFactory = _ => "per-class" };
        thresholds.AcceptOnlyFromAmong("per-class", "global", "none");
        var positiveWeight = new Option<bool>("--pos-weight") { Description = "Multi-label: weigh each label's positives by its negatives over its positives in the training data (BCE's pos_weight), for rare labels." };
        var data = new Option<string?>("--data") { Description = "Dataset folder." };
        var valSplit = new Option<double>("--val-split") { Description = "Share of the training data held out for validation.", DefaultValueFactory = _ => 0.1 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs to train.", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var batchSize = new Option<string>("--batch-size") { Description = "Batch size of each process (under mpirun the global batch is this times the number of processes), or auto: the largest that fits half the memory, found by doubling from 16 (throughput is printed for each).", DefaultValueFactory = _ => "64" }.SizeOrAuto(1, 65_536);
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adamw or sgd.", DefaultValueFactory = _ => "adam" };
        var lr = new Option<string>("--lr") { Description = "Learning rate (the peak rate for onecycle), or auto: the range test's valley suggestion (see lr-find).", DefaultValueFactory = _ => "0.001" }.RateOrAuto();
        var scheduler = new Option<string>("--scheduler") { Description = "none, step, cosine, plateau or onecycle.", DefaultValueFactory = _ => "none" };
        var amp = new Option<string>("--amp") { Description = "auto (bf16 on a CPU with native bf16, fp16 on CUDA, else none), none, bf16 or fp16.", DefaultValueFactory = _ => "auto" };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing.", DefaultValueFactory = _ => 0 }.From(0, 1);
        var augment = new Option<string>("--augment") { Description = CliData.AugmentChoices + ": crop and flip (light), with rotation, colour jitter and erasing (strong), or an augmentation policy after crop and flip.", DefaultValueFactory = _ => "none" };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var pretrained = new Option<string?>("--pretrained") { Description = "Weights to start from: DEFAULT (when no value is given), IMAGENET1K_V1 or IMAGENET1K_V2 (see 'cnnclassify weights'), or a .pth or .safetensors file; a different head is replaced.", Arity = ArgumentArity.ZeroOrOne };
        var freeze = new Option<bool>("--freeze-backbone") { Description = "Train only the head (with --pretrained)." };
        var layerDecay = new Option<double?>("--layer-decay") { Description = "Layer-wise learning-rate decay, as timm's: the head trains at --lr, each stage below at this factor times the rate above it (0.65 to 0.85 in timm's fine-tuning recipes)." }.Within(0, 1);
        var resume = new Option<string?>("--resume") { Description = "Checkpoint to resume from." };
        var earlyStopping = new Option<int?>("--early-stopping") { Description = "Stop after this many epochs without validation-accuracy gain (validation mAP for multi-label data)." }.AtLeast(1);
        var threads = new Option<int?>("--threads") { Description = "CPU threads for torch (at most four per logical core)." }.Between(1, OptionRules.MaxThreads);
        var imageSize = new Option<int?>("--image-size") { Description = "Input height and width (default: the dataset's); from the model's smallest to 2,048." }.Between(1, Inference.ModelLimits.MaxInputSide);
        var workers = new Option<int>("--workers") { Description = "Data-loading threads.", DefaultValueFactory = _ => 1 }.Between(0, OptionRules.MaxThreads);
        augment.AcceptOnlyFromAmong("none", "light", "strong", "randaugment", "trivialaugment", "autoaugment", "augmix");
        var noCache = new Option<bool>("--no-feature-cache") { Description = "With --freeze-backbone and --augment none, run the backbone every epoch instead of caching its output once." };
        var exif = new Option<bool>("--exif-orientation") { Description = "Turn photos upright by their EXIF orientation (PIL's exif_transpose); by default the stored pixels are used as they are, as in torchvision." };
        var followLinks = new Option<bool>("--follow-links") { Description = "Follow links in an image folder that lead outside it (links back into it are always refused)." };
        var range = new RangeTestArguments();
        var balance = new Option<bool>("--balance") { Description = "Draw training images with replacement so that every class is equally likely (PyTorch's WeightedRandomSampler with 1 / class count), for imbalanced data." };
        var progressive = new Option<int?>("--progressive-resize") { Description = "Progressive resizing: train the first epochs on images of this side, growing linearly (in steps of 8) to --image-size, which the last quarter of the epochs trains at; validation and the checkpoints stay at --image-size." }.Between(1, Inference.ModelLimits.MaxInputSide);
        var dryRun = new Option<bool>("--dry-run") { Description = "Train on two batches and validate on two, for one epoch, then test on one batch and write every output, as Lightning's fast_dev_run: errors in the data, model or reports show in seconds." };
        var command = rangeTest
            ? new Command("lr-find", "Run the learning-rate range test (fastai's lr_find) with the model, data, optimizer and precision train would use; write lr_find.png and lr_find.csv and print the valley, steepest and minimum/10 suggestions. The weights are not saved.")
            : new Command("train", "Train a model and write best.ckpt, last.ckpt, history.csv, history.png, confusion_matrix.png (for multi-label data precision_recall.png, label_confusion.png and predictions.csv), top_losses.png, top_losses_heatmaps.png, report.txt, metrics.json and report.html.");
        foreach (var option in new Option[]
        {
            model, dataset, data, valSplit, batchSize, optimizer, amp, smoothing, augment, seed, outDir, pretrained, freeze, layerDecay, threads, imageSize, workers, noCache, exif, followLinks, loss, positiveWeight, balance,
        })
        {
            command.Options.Add(option);
        }

        foreach (var option in rangeTest ? range.All : [epochs, lr, scheduler, resume, earlyStopping, thresholds, dryRun, progressive])
        {
            command.Options.Add(option);
        }

        foreach (var option in table.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(model)!;
            var description = ModelDescriptionFile.IsFile(name) ? ModelDescriptionFile.Read(name) : null;
            if (description is not null && parse.GetResult(pretrained) is not null)
            {
                throw new UsageException("--pretrained loads a zoo model's weights; it cannot be combined with a model description file.");
            }

            if (description is null && !ModelZoo.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new UsageException($"--model: unknown model '{name}'. Known models: {string.Join(", ", ModelZoo.Names)}.");
            }

            if (description is null)
            {
                CliApp.CheckImageSize(name, parse.GetValue(imageSize), "--image-size");
            }
            else if (parse.GetValue(imageSize) is { } given && (given != description.InputHeight || given != description.InputWidth))
            {
                throw new UsageException($"--image-size {given} differs from the input of '{name}' ({description.InputHeight}x{description.InputWidth}); leave it out, or change the description.");
            }

            var dry = !rangeTest && parse.GetValue(dryRun);
            var epochCount = rangeTest || dry ? 1 : parse.GetValue(epochs);
            var schedulerName = rangeTest ? "none" : parse.GetValue(scheduler)!;
            var resumeFrom = rangeTest ? null : parse.GetValue(resume);
            // null for --lr auto: the range test chooses it once the trainer is built.
            var learningRate = rangeTest ? 1e-3 : OptionRules.RateOrAutoValue(parse.GetValue(lr)!);
            var rangeOptions = rangeTest ? range.Options(parse) : null;
            if ((rangeTest || learningRate is null) && Distributed.MpiWorld.IsLaunched)
            {
                throw new UsageException($"{(rangeTest ? "lr-find" : "--lr auto")} runs in one process; run it without mpirun, then train with the rate it suggests.");
            }

            if (learningRate is null && resumeFrom is not null)
            {
                throw new UsageException("--lr auto chooses the rate a new run starts with; a resumed run keeps its own. Give --lr as a number with --resume.");
            }

            var batchAuto = parse.GetValue(batchSize) == "auto";
            var batch = batchAuto ? 64 : int.Parse(parse.GetValue(batchSize)!, CultureInfo.InvariantCulture);
            if (batchAuto && (Distributed.MpiWorld.IsLaunched || resumeFrom is not null || dry))
            {
                throw new UsageException("--batch-size auto searches in one fresh process; give a number with mpirun, --resume or --dry-run.");
            }

            var seedValue = parse.GetValue(seed);
            var directory = CliApp.OutputFolder(parse.GetValue(outDir)!);

            // Under mpirun every rank runs this command: data-parallel over the launch's processes.
            using var world = Distributed.MpiWorld.IsLaunched ? Distributed.MpiWorld.Initialize() : null;

            var phases = Stopwatch.StartNew();
            var warnings = new WarningLogger(output);
            var published = PublishedWeights(parse, name, pretrained);
            var datasetName = DatasetName(parse, dataset, table);
            var photos = datasetName is "imagefolder" or "csv";
            var loaded = await CliData.LoadAsync(datasetName, parse.GetValue(data), parse.GetValue(valSplit), seedValue, parse.GetValue(imageSize) ?? description?.InputHeight ?? (photos ? published?.CropSize : null), warnings,
                Scaled(published, parse.GetValue(imageSize), photos), parse.GetValue(exif), parse.GetValue(followLinks),
                decode => new CliData.LabelTables(parse.GetValue(table.Labels)!, parse.GetValue(table.TestLabels), table.Options(parse, warnings, decode, parse.GetValue(exif)))).ConfigureAwait(false);
            if (dry)
            {
                loaded = loaded with { Train = Few(loaded.Train, 2 * batch), Validation = Few(loaded.Validation, 2 * batch), Test = Few(loaded.Test, batch) };
                output.WriteLine($"dry run: one epoch on {loaded.Train.Count} training and {loaded.Validation.Count} validation images, then {loaded.Test.Count} test images");
            }

            var multiLabel = loaded.IsMultiLabel;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {loaded.Train.Count:N0} train, {loaded.Validation.Count:N0} validation, {loaded.Test.Count:N0} test images, {loaded.Classes.Count:N0} classes{(multiLabel ? ", multi-label" : string.Empty)}"));
            var monitor = multiLabel ? Metric.ValidationMeanAveragePrecision : Metric.ValidationAccuracy;
            if (warnings.Count > 0)
            {
                output.WriteLine($"{warnings.Count} data warning(s) above; skipped files are left out of training and evaluation.");
            }

            Seeding.Seed(seedValue);
            using var network = description is null ? Network(parse, name, pretrained, loaded, output, cancellationToken) : Described(description, name, loaded);
            if (parse.GetValue(freeze))
            {
                network.FreezeBackbone();
            }

            // The model carries the pipeline it is evaluated with into its checkpoints.
            network.Configuration = network.Configuration with
            {
                InChannels = loaded.Channels, InputHeight = loaded.ImageSize, InputWidth = loaded.ImageSize, Preprocessing = loaded.Preprocessing,
                Task = multiLabel ? Inference.TaskNames.MultiLabel : Inference.TaskNames.SingleLabel,
            };

            var augmentation = parse.GetValue(augment)!;
            var loaderOptions = new DataLoaderOptions
            {
                BatchSize = batch, Shuffle = true, Seed = seedValue, Workers = parse.GetValue(workers), ShardCount = world?.Size ?? 1, ShardIndex = world?.Rank ?? 0, Logger = warnings,
                SampleWeights = parse.GetValue(balance) ? ClassStatistics.BalancedSampleWeights(loaded.Train) : null,
            };
            if (loaderOptions.SampleWeights is not null)
            {
                var counts = ClassStatistics.Counts(loaded.Train);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"balanced sampling: classes of {counts.Where(c => c > 0).DefaultIfEmpty(0).Min():N0} to {counts.Max():N0} training images, each drawn with equal probability"));
            }
            var train = new DataLoader(loaded.Train, loaded.Transform(augmentation, training: true), loaderOptions);
            var evaluation = new DataLoaderOptions { BatchSize = Math.Max(batch, 256), Workers = parse.GetValue(workers), Logger = warnings };
            var validation = new DataLoader(loaded.Validation, loaded.Transform(augmentation, training: false), evaluation);
            var test = new DataLoader(loaded.Test, loaded.Transform(augmentation, training: false), evaluation);

            var steps = (long)epochCount * (long)Math.Ceiling(loaded.Train.Count / (double)(batch * (world?.Size ?? 1)));
            if (schedulerName == "onecycle" && steps < 2)
            {
                throw new UsageException($"--scheduler onecycle needs at least 2 optimizer steps, but --epochs {epochCount} with --batch-size {batch} over {loaded.Train.Count} training images gives {steps}; train more epochs or use smaller batches.");
            }

            var precision = Precision(parse.GetValue(amp)!);
            var setupSeconds = phases.Elapsed.TotalSeconds;
            if (parse.GetValue(freeze) && resumeFrom is { } resumed)
            {
                // Features come from the backbone the run continues with.
                Checkpoint.LoadModel(resumed, network);
            }

            using var cached = CacheFeatures(parse.GetValue(freeze), parse.GetValue(noCache), world, network, ref train, ref validation, precision, output);

            var featureSeconds = phases.Elapsed.TotalSeconds - setupSeconds;
            var resizing = rangeTest ? null : Progressive(parse.GetValue(progressive), name, description is null, loaded.ImageSize, cached is not null);
            var builder = Trainer.For(network)
                .UseCachedFeatures(cached is not null)
                .UseOptimizer(Optimizer(parse.GetValue(optimizer)!, learningRate ?? 1e-3))
                .UseLoss(Loss(parse.GetValue(loss)!, parse.GetValue(smoothing), multiLabel, parse.GetValue(positiveWeight) ? loaded.Train : null))
                .UsePrecision(precision)
                .UseSeed(seedValue)
                .UseLogger(warnings);
            if (parse.GetValue(layerDecay) is { } decay)
            {
                var groups = network.LayerDecayGroups(learningRate ?? 1e-3, decay);
                builder.UseParameterGroups(groups);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"layer decay {decay}: {string.Join(", ", groups.Select(g => $"{g.Name} {g.LearningRate:G3}"))}"));
            }

            if (!rangeTest && multiLabel && parse.GetValue(thresholds) != "none")
            {
                // Before the checkpoints' callback, so that each checkpoint holds the thresholds chosen for its weights.
                builder.AddCallback(new ThresholdTuning(parse.GetValue(thresholds) == "global" ? ThresholdChoice.GlobalMicroF1 : ThresholdChoice.PerClassF1));
            }

            if (!rangeTest)
            {
                builder.AddCallback(new CheckpointCallback(directory, monitor))
                    .AddCallback(new CsvLogger(Path.Combine(directory, "history.csv")));
            }

            if (resizing is not null)
            {
                builder.AddCallback(resizing);
                output.WriteLine(resizing.Description);
            }

            if (Schedule(schedulerName, epochCount) is { } schedule)
            {
                builder.UseSchedule(schedule);
            }

            if (!rangeTest && parse.GetValue(earlyStopping) is { } patience)
            {
                builder.AddCallback(new EarlyStopping(patience, monitor));
            }

            if (parse.GetValue(threads) is { } threadCount)
            {
                builder.UseThreads(threadCount);
            }

            if (world is not null)
            {
                builder.UseDistributed(world);
            }

            if (world?.IsMain ?? true)
            {
                builder.ShowProgress(output);
            }

            var trainer = builder.Build();
            if (trainer.IsMainProcess)
            {
                output.WriteLine($"precision: {trainer.PrecisionChoice}");
            }
            if (batchAuto)
            {
                var search = trainer.FindBatchSize(train, cancellationToken: cancellationToken);
                foreach (var trial in search.Trials)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  batch {trial.BatchSize,6}: {trial.ImagesPerSecond,8:N0} images/s, peak {trial.PeakBytes / 1048576.0,7:N0} MiB{(trial.Fits ? string.Empty : " (over the budget)")}"));
                }

                batch = search.BatchSize;
                train = new DataLoader(train.Dataset, train.Transform, train.Options with { BatchSize = batch });
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"--batch-size auto: {batch} (budget {search.MemoryBudgetBytes / 1048576.0:N0} MiB; stopped: {search.StopReason})"));
            }

            if (rangeTest)
            {
                RangeTestOutput.Write(trainer.FindLearningRate(train, rangeOptions, cancellationToken), directory, output);
                return 0;
            }

            if (learningRate is null)
            {
                var found = trainer.FindLearningRate(train, cancellationToken: cancellationToken);
                RangeTestOutput.Write(found, directory, output);
                trainer.SetLearningRate(found.SuggestedLearningRate);
                output.WriteLine($"--lr auto: training at {RangeTestOutput.Rate(found.SuggestedLearningRate)} (the valley suggestion)");
            }

            if (resumeFrom is { } checkpoint && trainer.IsMainProcess)
            {
                var saved = Checkpoint.ReadConfiguration(checkpoint).ClassNames;
                if (saved.Count > 0 && !saved.SequenceEqual(loaded.Classes))
                {
                    throw new InvalidDataException($"--resume '{checkpoint}' was trained on classes [{string.Join(", ", saved.Take(10))}{(saved.Count > 10 ? ", ..." : "")}], but the data has [{string.Join(", ", loaded.Classes.Take(10))}{(loaded.Classes.Count > 10 ? ", ..." : "")}]; resume with the data it was trained on, or start a new run.");
                }

                // Under mpirun rank 0 alone reads it; Fit hands its state to the other ranks.
                trainer.LoadCheckpoint(checkpoint);
                output.WriteLine($"resumed from {checkpoint} at epoch {trainer.Epoch}");
            }

            var clock = Stopwatch.StartNew();
            if (!trainer.IsMainProcess)
            {
                trainer.Fit(train, validation, epochCount, cancellationToken);
                return 0;  // rank 0 alone evaluates and writes the outputs
            }

            var history = trainer.Fit(train, validation, epochCount, cancellationToken);
            var trainSeconds = clock.Elapsed.TotalSeconds;
            HistoryPlot.Save(history, Path.Combine(directory, "history.png"));

            var bestPath = Path.Combine(directory, "best.ckpt");
            var chosen = File.Exists(bestPath) ? bestPath : Path.Combine(directory, "last.ckpt");
            // The weights and the description (with what was chosen for them, such as multi-label thresholds).
            Checkpoint.LoadModel(chosen, network);
            var evaluationClock = Stopwatch.StartNew();
            var run = RunReport.For(trainer, $"cnnclassify train: {name} on {datasetName}")
                .Add("Data", "Dataset", datasetName)
                .Add("Data", "Folder", parse.GetValue(data) is { } folder ? Path.GetFullPath(folder) : parse.GetValue(table.Labels) is { } labels ? Path.GetFullPath(labels) : "default location")
                .Add("Data", "Images", string.Create(CultureInfo.InvariantCulture, $"{loaded.Train.Count:N0} train, {loaded.Validation.Count:N0} validation, {loaded.Test.Count:N0} test"))
                .Add("Data", "Augmentation", augmentation)
                .Add("Data", "Sampling", loaderOptions.SampleWeights is null ? "each image once per epoch, shuffled" : "balanced: drawn with replacement, every class equally likely")
                .Add("Data", "Batch size", batch.ToString(CultureInfo.InvariantCulture))
                .Add("Data", "Loader threads", parse.GetValue(workers).ToString(CultureInfo.InvariantCulture))
                .AddTiming("Fit, wall clock (validation and checkpoints included)", TimeSpan.FromSeconds(trainSeconds))
                .AddTiming("Data set-up (indexing, splits, model)", TimeSpan.FromSeconds(setupSeconds))
                .AddTiming("Backbone features cached", TimeSpan.FromSeconds(featureSeconds));
            var best = history.Best(monitor)!;
            var extra = new JsonObject
            {
                ["best_epoch"] = best.Epoch + 1,
                ["epochs_run"] = history.Epochs.Count,
                ["train_seconds"] = trainSeconds,
                ["train_images_per_second"] = history.Epochs.Average(e => e.SamplesPerSecond),
                ["world_size"] = world?.Size ?? 1,
                ["precision"] = PrecisionChoice.Name(trainer.PrecisionChoice.Precision),
                ["precision_reason"] = trainer.PrecisionChoice.Reason,
                ["cpu"] = Native.CpuCapabilities.ProcessorName(),
                ["cpu_capability"] = Native.CpuCapabilities.Current.Describe(),
                ["dry_run"] = dry,
            };
            double testSeconds;
            if (multiLabel)
            {
                var labelled = MultiLabelPredictionSet.Collect(network, test);
                testSeconds = evaluationClock.Elapsed.TotalSeconds;
                run.AddTiming("Test evaluation", TimeSpan.FromSeconds(testSeconds));
                var report = Reports.WriteMultiLabel(directory, labelled, loaded.Test, extra, run, network, output);
                output.WriteLine($"test mAP {report.MeanAveragePrecision.ToString("F4", CultureInfo.InvariantCulture)}, samples F1 {report.SamplesAverage.F1.ToString("F4", CultureInfo.InvariantCulture)} (best epoch {best.Epoch + 1} of {history.Epochs.Count}), {trainSeconds:F1} s; outputs in {directory}");
            }
            else
            {
                var predictions = PredictionSet.Collect(network, test);
                testSeconds = evaluationClock.Elapsed.TotalSeconds;
                run.AddTiming("Test evaluation", TimeSpan.FromSeconds(testSeconds));
                Reports.Write(directory, predictions, loaded.Test, predictions.Samples.Average(s => s.Loss), extra, run, network, output);
                output.WriteLine($"test accuracy {predictions.Accuracy.ToString("P2", CultureInfo.InvariantCulture)} (best epoch {best.Epoch + 1} of {history.Epochs.Count}), {trainSeconds:F1} s; outputs in {directory}");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time: set-up {setupSeconds:F1} s, features {featureSeconds:F1} s, fit {trainSeconds:F1} s, test {testSeconds:F1} s, reports {phases.Elapsed.TotalSeconds - setupSeconds - featureSeconds - trainSeconds - testSeconds:F1} s, total {phases.Elapsed.TotalSeconds:F1} s"));
            return 0;
        });
        return command;
    }

    /// <summary>At most <paramref name="count"/> images spread evenly over <paramref name="data"/>, so a dry run sees several classes.</summary>
    // --progressive-resize START: a linear ramp to the input size, checked against the model's
    // smallest input and the input size; cached backbone features have no image to resize.
    private static ProgressiveResizing? Progressive(int? start, string model, bool zooModel, int imageSize, bool cachedFeatures)
    {
        if (start is not { } side)
        {
            return null;
        }

        if (zooModel)
        {
            CliApp.CheckImageSize(model, side, "--progressive-resize");
        }

        if (side < 8 || side > imageSize)
        {
            throw new UsageException($"--progressive-resize must be from 8 to the input size ({imageSize}); got {side}.");
        }

        if (cachedFeatures)
        {
            throw new UsageException("--progressive-resize resizes images, but --freeze-backbone trains on cached backbone features; add --no-feature-cache.");
        }

        return ProgressiveResizing.Linear(side, imageSize);
    }

    private static IImageDataset Few(IImageDataset data, int count)
    {
        var kept = Math.Min(count, data.Count);
        return new Subset(data, Enumerable.Range(0, kept).Select(i => (int)((long)i * data.Count / kept)));
    }

    /// <summary>The dataset <c>--dataset</c> names, or <c>csv</c> when <c>--labels</c> gives a table.</summary>
    private static string DatasetName(ParseResult parse, Option<string?> dataset, LabelTableArguments table)
    {
        var named = parse.GetValue(dataset);
        var labels = parse.GetValue(table.Labels);
        if (labels is not null && named is not (null or "csv"))
        {
            throw new UsageException($"--labels reads images and labels from a table; it cannot be combined with --dataset {named}.");
        }

        if (labels is null && table.All.Skip(1).Any(o => parse.GetResult(o) is { Implicit: false }))
        {
            throw new UsageException("--test-labels, --images and the column and separator options go with --labels FILE.");
        }

        return labels is not null ? "csv" : named ?? throw new UsageException("Give --dataset (fashion-mnist, mnist, cifar10, imagefolder) or --labels FILE, a table of image paths and labels.");
    }

    /// <summary>The loss <c>--loss</c> names, for the data's task; <paramref name="weighedBy"/> gives multi-label positives their weight.</summary>
    private static LossFunction Loss(string name, double smoothing, bool multiLabel, Data.IImageDataset? weighedBy) => (name, multiLabel, weighedBy) switch
    {
        (_, false, not null) => throw new UsageException("--pos-weight weighs the labels of multi-label data; this data is single-label."),
        ("auto", false, _) => LossFunction.CrossEntropy(labelSmoothing: smoothing),
        ("auto", true, { } data) => LossFunction.BinaryCrossEntropy(ClassStatistics.PositiveWeights(ClassStatistics.Counts(data), data.Count), smoothing),
        ("auto", true, null) => LossFunction.BinaryCrossEntropy(labelSmoothing: smoothing),
        (not "auto", _, not null) => throw new UsageException($"--pos-weight goes with the binary cross-entropy (--loss auto), not --loss {name}."),
        ("focal", false, _) when smoothing == 0 => LossFunction.Focal(),
        ("asymmetric", true, _) when smoothing == 0 => LossFunction.Asymmetric(),
        ("focal" or "asymmetric", _, _) when smoothing != 0 => throw new UsageException($"--loss {name} does not take --label-smoothing."),
        _ => throw new UsageException($"--loss {name} is for {(multiLabel ? "single-label" : "multi-label")} data, but this data is {(multiLabel ? "multi-label" : "single-label")}."),
    };

    /// <summary>The published weights <c>--pretrained</c> names, or <see langword="null"/> for none or a weights file.</summary>
    private static PretrainedWeights? PublishedWeights(ParseResult parse, string name, Option<string?> pretrained)
    {
        if (parse.GetResult(pretrained) is null || IsFile(parse.GetValue(pretrained)))
        {
            return null;
        }

        var weights = parse.GetValue(pretrained) ?? WeightCatalog.Default;
        Published(name, weights);
        return WeightCatalog.Get(name, weights);
    }

    /// <summary>
    /// The weights' preprocessing for photos, its resize scaled as the crop is when <c>--image-size</c>
    /// differs from theirs; for the small built-in datasets only their normalisation, the images
    /// being resized straight to the input size as before.
    /// </summary>
    private static Models.Preprocessing? Scaled(PretrainedWeights? published, int? imageSize, bool photos)
    {
        if (published is null)
        {
            return null;
        }

        var preprocessing = photos ? published.Preprocessing : published.Preprocessing with { ResizeSize = null };
        return imageSize is { } size && size != published.CropSize && preprocessing.ResizeSize is { } side
            ? preprocessing with { ResizeSize = Math.Max(size, (int)Math.Round(side * (size / (double)published.CropSize))) }
            : preprocessing;
    }

    /// <summary>
    /// With a frozen backbone and a deterministic pipeline, computes the backbone's output once and
    /// swaps the loaders for ones over the cached features; otherwise says in one line why not.
    /// </summary>
    private static CachedFeatures? CacheFeatures(bool frozen, bool optedOut, Distributed.MpiWorld? world, ClassificationModel network, ref DataLoader train, ref DataLoader validation, Precision precision, TextWriter output)
    {
        if (!frozen)
        {
            return null;
        }

        var why = optedOut ? "--no-feature-cache was given"
            : world is not null ? "data-parallel runs do not cache features"
            : BackboneFeatures.WhyNotCacheable(network, train.Transform) ?? BackboneFeatures.WhyNotCacheable(network, validation.Transform);
        if (why is not null)
        {
            output.WriteLine($"backbone features not cached: {why}.");
            return null;
        }

        var clock = Stopwatch.StartNew();
        var device = TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.CUDA : TorchSharp.torch.CPU;
        network.to(device);
        var options = new Runtime.InferenceOptions { Precision = PrecisionChoice.For(precision, device).Precision };
        var trainFeatures = BackboneFeatures.Compute(network, new DataLoader(train.Dataset, train.Transform, train.Options with { Shuffle = false, SampleWeights = null }), options);
        var validationFeatures = BackboneFeatures.Compute(network, validation, options);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backbone features cached: {trainFeatures.Count:N0} train and {validationFeatures.Count:N0} validation images, [{string.Join(", ", trainFeatures.FeatureShape)}] each, in {clock.Elapsed.TotalSeconds:F1} s; the head trains on them."));
        // --balance draws from the cached rows as it would from the images (unreadable ones are left out of both).
        train = new DataLoader(trainFeatures, null, train.Options with { SampleWeights = train.Options.SampleWeights is null ? null : ClassStatistics.BalancedSampleWeights(trainFeatures) });
        validation = new DataLoader(validationFeatures, null, validation.Options);
        return new CachedFeatures(trainFeatures, validationFeatures);
    }

    /// <summary>The cached features of a run, freed with it.</summary>
    private sealed record CachedFeatures(FeatureDataset Train, FeatureDataset Validation) : IDisposable
    {
        public void Dispose()
        {
            Train.Dispose();
            Validation.Dispose();
        }
    }

    /// <summary>A model built from a description file, checked against the data.</summary>
    private static ClassificationModel Described(ModelConfiguration description, string path, CliData loaded)
    {
        if (description.InChannels != loaded.Channels)
        {
            throw new InvalidDataException($"--model '{path}' takes {description.InChannels} input channel(s), but the images have {loaded.Channels}.");
        }

        var network = ModelZoo.Create(description with { NumClasses = loaded.Classes.Count });
        if (network.Configuration.NumClasses != loaded.Classes.Count)
        {
            var classes = network.Configuration.NumClasses;
            network.Dispose();
            throw new InvalidDataException($"--model '{path}' predicts {classes} classes, but the data has {loaded.Classes.Count}; make its last layer that wide.");
        }

        return network;
    }

    private static ClassificationModel Network(ParseResult parse, string name, Option<string?> pretrained, CliData loaded, TextWriter output, CancellationToken cancellationToken)
    {
        if (parse.GetResult(pretrained) is null)
        {
            return ModelZoo.Create(name, new ModelOptions { NumClasses = loaded.Classes.Count, InChannels = loaded.Channels, ImageSize = loaded.ImageSize });
        }

        var weights = parse.GetValue(pretrained) ?? WeightCatalog.Default;
        if (!IsFile(weights))
        {
            Published(name, weights);

            // Fetched here so that Ctrl-C stops the download and removes its partial file.
            WeightCatalog.Get(name, weights).Fetch(new DownloadProgressLine(), cancellationToken);
            var published = ModelZoo.Create(name, numClasses: loaded.Classes.Count, inChannels: loaded.Channels, weights: weights, progress: new DownloadProgressLine());
            output.WriteLine($"pretrained weights: {WeightCatalog.Get(name, weights)} from {WeightCatalog.Get(name, weights).CachePath}");
            return published;
        }

        var network = ModelZoo.Create(name, new ModelOptions { NumClasses = loaded.Classes.Count, InChannels = loaded.Channels, ImageSize = loaded.ImageSize });
        try
        {
            var report = network.LoadWeights(weights, strict: false);
            output.WriteLine($"pretrained weights from {weights}: {report}");
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Checks that <paramref name="weights"/> names published weights of <paramref name="model"/>, as a usage error.</summary>
    internal static void Published(string model, string weights)
    {
        try
        {
            WeightCatalog.Get(model, weights);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"--pretrained: {ex.Message}");
        }
    }

    private static bool IsFile(string? weights) =>
        weights is not null && (File.Exists(weights) || Path.GetExtension(weights).ToLowerInvariant() is ".pth" or ".pt" or ".bin" or ".safetensors");

    private static OptimizerSpec Optimizer(string name, double lr) => name switch
    {
        "adam" => OptimizerSpec.Adam(lr),
        "adamw" => OptimizerSpec.AdamW(lr),
        "sgd" => OptimizerSpec.Sgd(lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4),
        _ => throw new UsageException($"--optimizer must be adam, adamw or sgd; got '{name}'."),
    };

    private static Precision Precision(string amp) => amp switch
    {
        "auto" => Runtime.Precision.Auto,
        "none" => Runtime.Precision.Fp32,
        "bf16" => Runtime.Precision.Bf16,
        "fp16" => Runtime.Precision.Fp16,
        _ => throw new UsageException($"--amp must be auto, none, bf16 or fp16; got '{amp}'."),
    };

    private static LearningRateSchedule? Schedule(string name, int epochs) => name switch
    {
        "none" => null,
        "step" => LearningRateSchedule.Step(Math.Max(1, epochs / 3), 0.1),
        "cosine" => LearningRateSchedule.CosineAnnealing(epochs),
        "plateau" => LearningRateSchedule.ReduceOnPlateau(Metric.ValidationLoss, factor: 0.5, patience: 2),
        "onecycle" => LearningRateSchedule.OneCycle(),
        _ => throw new UsageException($"--scheduler must be none, step, cosine, plateau or onecycle; got '{name}'."),
    };
}
