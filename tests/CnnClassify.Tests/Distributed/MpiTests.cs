using System.Diagnostics;

namespace CnnClassify.Tests.Distributed;

/// <summary>The Open MPI binding under <c>mpirun -np 2</c>, each rank a process of CnnClassify.MpiProbe.</summary>
[Collection(SerialTests.Name)]
public sealed class MpiTests
{
    private static readonly string Probe = Path.Combine(AppContext.BaseDirectory, "CnnClassify.MpiProbe.dll");

    [SkippableFact]
    public void All_reduce_and_broadcast_give_every_rank_the_known_vectors()
    {
        SkipWithoutMpirun();

        var (code, output, elapsed) = Mpirun("collectives");

        Assert.True(code == 0, output);
        foreach (var rank in new[] { 0, 1 })
        {
            // floats: (1 + 2, 10 + 20, -0.5 - 0.5); doubles: 0 + 0.25 and 2e-300; longs: 2^41 and 0 + 1.
            Assert.Contains($"rank {rank}/2 floats 3,30,-1 doubles 0.25,2E-300 longs 2199023255552,1 broadcast 3.5,-2,7 version Open MPI", output, StringComparison.Ordinal);
        }

        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
    }

    [SkippableFact]
    public void A_rank_that_aborts_ends_the_job_with_a_nonzero_exit_within_30_seconds()
    {
        SkipWithoutMpirun();

        var (code, output, elapsed) = Mpirun("abort");

        Assert.True(code != 0, output);
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"mpirun took {elapsed.TotalSeconds:F1} s to end after the abort");
    }

    [SkippableFact]
    public void Two_ranks_of_batch_B_train_the_weights_of_one_process_of_batch_2B_and_only_rank_0_writes()
    {
        SkipWithoutMpirun();
        var root = Directory.CreateTempSubdirectory("cnnclassify-mpi-").FullName;
        try
        {
            var runs = new[] { ("single", 1, "8", "1"), ("ranks", 2, "4", "1"), ("accumulated", 2, "2", "2") }
                .ToDictionary(run => run.Item1, run =>
                {
                    var folder = Path.Combine(root, run.Item1);
                    var (code, output, _) = Mpirun(["train", run.Item3, run.Item4, folder], processes: run.Item2);
                    Assert.True(code == 0, output);
                    return (Folder: folder, Weights: File.ReadAllLines(Path.Combine(folder, "weights.txt")).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray(), Output: output);
                });

            var single = runs["single"].Weights;
            foreach (var name in new[] { "ranks", "accumulated" })
            {
                var (folder, weights, output) = runs[name];
                Assert.Equal(single.Length, weights.Length);
                Assert.True(single.Zip(weights, (a, b) => Math.Abs(a - b)).Max() < 1e-5, $"{name}: weights differ from the single process's");
                Assert.True(File.Exists(Path.Combine(folder, "rank0", "last.ckpt")), name);
                Assert.True(File.Exists(Path.Combine(folder, "rank0", "history.csv")), name);
                Assert.False(Directory.Exists(Path.Combine(folder, "rank1")), $"{name}: rank 1 wrote files");
                var starts = output.Split('\n').Where(line => line.Contains(" starts from ", StringComparison.Ordinal)).Select(line => line[line.IndexOf(" starts from ", StringComparison.Ordinal)..].Trim()).ToList();
                Assert.Equal(2, starts.Count);
                Assert.Equal(starts[0], starts[1]);  // each rank seeds its model differently; the broadcast makes them one
                var losses = output.Split('\n').Where(line => line.Contains("rank ", StringComparison.Ordinal) && line.Contains(" loss ", StringComparison.Ordinal)).Select(line => line[line.IndexOf(" loss ", StringComparison.Ordinal)..]).Distinct().ToList();
                Assert.Single(losses);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SkippableFact]
    public void A_two_rank_run_resumed_from_rank_0s_checkpoint_ends_with_the_weights_of_a_straight_run()
    {
        SkipWithoutMpirun();
        var root = Directory.CreateTempSubdirectory("cnnclassify-mpi-resume-").FullName;
        try
        {
            double[] Train(string name, params string[] more)
            {
                var folder = Path.Combine(root, name);
                var (code, output, _) = Mpirun(["train", "4", "1", folder, .. more]);
                Assert.True(code == 0, output);
                return File.ReadAllLines(Path.Combine(folder, "weights.txt")).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            }

            var straight = Train("straight", "3");
            var first = Train("first", "2");
            var resumed = Train("resumed", "3", Path.Combine(root, "first", "rank0", "last.ckpt"));

            // SGD with momentum: rank 1 continues right only if it receives rank 0's epoch, weights and momentum buffers.
            Assert.True(straight.Zip(first, (a, b) => Math.Abs(a - b)).Max() > 1e-3, "the third epoch changed nothing, so the test shows nothing");
            Assert.True(straight.Zip(resumed, (a, b) => Math.Abs(a - b)).Max() < 1e-6, "the resumed run ended with other weights");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SkippableTheory]
    [InlineData("loss")]
    [InlineData("gradient")]
    public void A_non_finite_loss_or_gradient_on_one_rank_makes_every_rank_skip_that_step(string kind)
    {
        SkipWithoutMpirun();

        var (code, output, _) = Mpirun(["poison", kind]);

        Assert.True(code == 0, output);
        var lines = output.Split('\n').Where(line => line.Contains("rank ", StringComparison.Ordinal) && line.Contains(" steps ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        var reports = lines.Select(line => line[line.IndexOf(" steps ", StringComparison.Ordinal)..]).ToList();
        Assert.Equal(reports[0], reports[1]);
        Assert.Contains(" finite True ", reports[0], StringComparison.Ordinal);
        if (kind == "loss")
        {
            // 24 samples per rank in batches of 4, two epochs: 12 steps, one skipped on both ranks.
            Assert.StartsWith(" steps 11 skipped 0 ", reports[0], StringComparison.Ordinal);
        }
        else
        {
            var skipped = int.Parse(reports[0].Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(skipped >= 1, reports[0]);
        }
    }

    [SkippableFact]
    public void A_rank_that_throws_while_training_ends_the_job_with_a_nonzero_exit_within_30_seconds()
    {
        SkipWithoutMpirun();

        var (code, output, elapsed) = Mpirun(["fail", "4", "1"]);

        Assert.True(code != 0, output);
        Assert.Contains("rank 1: InvalidOperationException: rank 1 fails on purpose; aborting the job.", output, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"mpirun took {elapsed.TotalSeconds:F1} s to end after the failure");
    }

    [SkippableFact]
    public void The_cli_trains_data_parallel_under_mpirun_and_reports_the_world_size()
    {
        SkipWithoutMpirun();
        var root = Directory.CreateTempSubdirectory("cnnclassify-mpi-cli-").FullName;
        try
        {
            foreach (var (split, count) in new[] { ("train", 8), ("test", 2) })
            {
                foreach (var c in new[] { "circle", "square" })
                {
                    for (var i = 0; i < count; i++)
                    {
                        CnnClassify.Tests.Data.TestImages.Write(Path.Combine(root, "data", split, c, $"{i}.png"), 16, 16, seed: (c.Length * 30) + i);
                    }
                }
            }

            var outDir = Path.Combine(root, "run");
            var cli = typeof(CnnClassify.Cli.CliApp).Assembly.Location;
            var (code, output, _) = Run(["-np", "2", "--oversubscribe", "dotnet", cli, "train", "--model", "simplecnn", "--dataset", "imagefolder",
                "--data", Path.Combine(root, "data"), "--image-size", "16", "--epochs", "2", "--batch-size", "4", "--out", outDir]);

            Assert.True(code == 0, output);
            Assert.True(File.Exists(Path.Combine(outDir, "last.ckpt")), output);
            using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
            Assert.Equal(2, metrics.RootElement.GetProperty("world_size").GetInt32());
            Assert.Single(output.Split('\n'), line => line.StartsWith("test accuracy", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void SkipWithoutMpirun()
    {
        var present = OperatingSystem.IsLinux() && File.Exists("/usr/bin/mpirun");
        if (!present && Environment.GetEnvironmentVariable("CNNCLASSIFY_IN_ROOT") == "1")
        {
            throw new InvalidOperationException("eng/run's root must hold Open MPI's mpirun (openmpi-bin).");
        }

        Skip.IfNot(present, "needs Open MPI's mpirun on Linux (Debian and Ubuntu: openmpi-bin)");
    }

    private static (int Code, string Output, TimeSpan Elapsed) Mpirun(string command) => Mpirun([command]);

    private static (int Code, string Output, TimeSpan Elapsed) Mpirun(string[] command, int processes = 2) =>
        Run(["-np", $"{processes}", "--oversubscribe", "dotnet", Probe, .. command]);

    private static (int Code, string Output, TimeSpan Elapsed) Run(string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/mpirun") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "mpirun did not finish within 120 s\n" + output, clock.Elapsed);
        }

        return (process.ExitCode, output + error.Result, clock.Elapsed);
    }
}
