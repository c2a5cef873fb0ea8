using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Tests.Training;

/// <summary>Progress reports and their console display.</summary>
public sealed class ProgressTests
{
    private sealed class Recorder : TrainerCallback
    {
        public List<(int Epoch, double Loss, int Count)> Batches { get; } = [];

        public override void OnBatchEnd(TrainingContext context) => Batches.Add((context.Epoch, context.BatchLoss, context.Batch!.Count));
    }

    private sealed class Collect(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }

    [Fact]
    public void Reports_carry_running_loss_samples_rate_and_time_left()
    {
        var reports = new List<TrainingProgress>();
        var recorder = new Recorder();
        using var model = TrainingData.Linear();
        // 40 images in batches of 16: 16, 16, 8.
        Trainer.For(model).UseDevice(torch.CPU).AddCallback(recorder).ReportProgress(new Collect(reports)).Build()
            .Fit(TrainingData.Loader(TrainingData.Separable(40)), TrainingData.Loader(TrainingData.Separable(12, seed: 1)), epochs: 3);

        // Per epoch: three batches, the start of validation, the end.
        Assert.Equal(3 * 5, reports.Count);
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var mine = reports.Where(r => r.Epoch == epoch).ToList();
            var batches = recorder.Batches.Where(b => b.Epoch == epoch).ToList();
            Assert.Equal([1, 2, 3], mine.Take(3).Select(r => r.Batch));
            Assert.Equal([16L, 32, 40], mine.Take(3).Select(r => r.Samples));
            for (var i = 0; i < 3; i++)
            {
                // The running mean weighted by batch size, from the trainer's own batch losses.
                var expected = batches.Take(i + 1).Sum(b => b.Loss * b.Count) / batches.Take(i + 1).Sum(b => b.Count);
                Assert.Equal(expected, mine[i].AverageLoss, 9);
                Assert.Equal(batches[i].Loss, mine[i].Loss);
                Assert.True(mine[i].SamplesPerSecond > 0 && mine[i].EpochRemaining is not null && mine[i].RunRemaining >= mine[i].EpochRemaining);
                Assert.All(mine.Take(3), r => Assert.Equal(3, r.Epochs));
            }

            Assert.True(mine[3].Validating && mine[3].EpochMetrics is null);
            var end = mine[4];
            Assert.NotNull(end.EpochMetrics);
            Assert.Equal(TimeSpan.Zero, end.EpochRemaining);
            Assert.Equal(end.EpochMetrics!.TrainLoss, end.AverageLoss, 6);
            if (epoch == 2)
            {
                Assert.Equal(TimeSpan.Zero, end.RunRemaining);
            }
            else
            {
                Assert.True(end.RunRemaining > TimeSpan.Zero);
            }
        }

        // After the first epoch, the run estimate counts the remaining whole epochs.
        var secondEpochFirst = reports.First(r => r.Epoch == 1);
        Assert.True(secondEpochFirst.RunRemaining > secondEpochFirst.EpochRemaining);
    }

    [Fact]
    public void Redirected_output_gets_one_plain_line_per_epoch()
    {
        var output = new StringWriter();
        using var model = TrainingData.Linear();
        Trainer.For(model).UseDevice(torch.CPU).ShowProgress(output).Build()
            .Fit(TrainingData.Loader(TrainingData.Separable(40)), TrainingData.Loader(TrainingData.Separable(12, seed: 1)), epochs: 3);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.DoesNotContain('\r', output.ToString());
        Assert.DoesNotContain('\u001b', output.ToString());
        for (var i = 0; i < 3; i++)
        {
            Assert.Matches($@"^epoch {i + 1}/3: loss \d+\.\d{{4}} acc \d+\.\d\d % \| val loss \d+\.\d{{4}} acc \d+\.\d\d % \| lr 0\.001 \| [\d,]+ images/s \| 0:\d\d$", lines[i]);
        }
    }

    [Fact]
    public void The_bar_style_redraws_a_line_in_place_and_ends_each_epoch_with_its_summary()
    {
        var output = new StringWriter();
        using var model = TrainingData.Linear();
        Trainer.For(model).UseDevice(torch.CPU).ShowProgress(output, ConsoleProgressStyle.Bar).Build()
            .Fit(TrainingData.Loader(TrainingData.Separable(40)), TrainingData.Loader(TrainingData.Separable(12, seed: 1)), epochs: 2);

        var text = output.ToString();
        Assert.Contains("\r\u001b[2Kepoch 1/2 [", text);
        Assert.Contains(" 3/3 loss ", text);
        // The rate shows when the terminal is wide enough (the test host's width varies).
        Assert.Matches(@"3/3 loss \d+\.\d{4}( \| [\d,]+ img/s)? \| epoch 0:00 left, run 0:00 left", text);
        Assert.Matches(@"epoch 2/2 \[#+\] 3/3 validating", text);
        // Each summary line starts on a cleared line, after the bar.
        Assert.Matches(@"\r\u001b\[2Kepoch 1/2: loss ", text);
        Assert.Equal(2, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(100)]
    [InlineData(160)]
    public void The_bar_fits_the_terminal_width(int width)
    {
        var progress = new TrainingProgress
        {
            Epoch = 11, Epochs = 120, Batch = 211, Batches = 422, Samples = 27_008, AverageLoss = 0.3413, SamplesPerSecond = 2410,
            EpochRemaining = TimeSpan.FromSeconds(9.2), RunRemaining = TimeSpan.FromMinutes(112.5),
        };

        var line = ConsoleProgress.BarLine(progress, width);

        Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}");
        Assert.StartsWith("epoch 12/120 ", line);
        Assert.Contains("211/422 loss 0.3413 | ", line);
        Assert.Contains(" left", line);
        if (width >= 100)
        {
            Assert.Contains("211/422 loss 0.3413 | 2,410 img/s | epoch 0:09 left, run 1:52:30 left", line);
        }

        // Half the batches are done: half the bar is filled.
        var bar = System.Text.RegularExpressions.Regex.Match(line, @"\[(#*)(\.*)\]");
        Assert.True(bar.Success, line);
        var length = bar.Groups[1].Length + bar.Groups[2].Length;
        Assert.InRange(bar.Groups[1].Length, (length / 2) - 1, (length / 2) + 1);
    }
}
