using CnnClassify.Training;

namespace CnnClassify.Tests.Training;

/// <summary>Factors against the rates PyTorch 2.6's schedulers give for a base rate of 1.</summary>
public class ScheduleTests
{
    private static void AssertSequence(double[] expected, Func<int, double> factor)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], factor(i), 8);
        }
    }

    [Fact]
    public void OneCycle_matches_pytorch_step_by_step()
    {
        var schedule = LearningRateSchedule.OneCycle();
        schedule.Prepare(10);

        // torch.optim.lr_scheduler.OneCycleLR(max_lr=1.0, total_steps=10)
        AssertSequence([0.04, 0.52, 1.0, 0.950484632, 0.8117456539, 0.6112620219, 0.3887419781, 0.1882583461, 0.049519368, 4e-06], step => schedule.Factor(0, step));
        Assert.Equal(ScheduleInterval.Step, schedule.Interval);
    }

    [Fact]
    public void Cosine_annealing_matches_pytorch_including_after_the_period()
    {
        var schedule = LearningRateSchedule.CosineAnnealing(4, minFactor: 0.1);

        AssertSequence([1.0, 0.8681980515, 0.55, 0.2318019485, 0.1, 0.2318019485, 0.55], epoch => schedule.Factor(epoch, 0));
        Assert.Equal(ScheduleInterval.Epoch, schedule.Interval);
    }

    [Fact]
    public void Step_multistep_and_exponential_match_pytorch()
    {
        AssertSequence([1.0, 1.0, 0.5, 0.5, 0.25, 0.25], e => LearningRateSchedule.Step(2, 0.5).Factor(e, 0));
        AssertSequence([1.0, 0.1, 0.1, 0.01, 0.01], e => LearningRateSchedule.MultiStep([1, 3], 0.1).Factor(e, 0));
        AssertSequence([1.0, 0.9, 0.81, 0.729], e => LearningRateSchedule.Exponential(0.9).Factor(e, 0));
    }

    [Fact]
    public void Reduce_on_plateau_matches_pytorch_with_patience_and_cooldown()
    {
        var schedule = LearningRateSchedule.ReduceOnPlateau(Metric.ValidationLoss, factor: 0.5, patience: 1, cooldown: 1);
        double[] losses = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85];
        var factors = new List<double>();

        for (var epoch = 0; epoch < losses.Length; epoch++)
        {
            factors.Add(schedule.Factor(epoch, 0));
            schedule.OnEpochEnd(new EpochMetrics { Epoch = epoch, ValidationLoss = losses[epoch] });
        }

        // ReduceLROnPlateau(mode='min', factor=0.5, patience=1, threshold=1e-4, cooldown=1)
        Assert.Equal([1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5], factors);
    }

    [Fact]
    public void Reduce_on_plateau_maximises_accuracy_and_its_state_round_trips()
    {
        var schedule = LearningRateSchedule.ReduceOnPlateau(Metric.ValidationAccuracy, factor: 0.1, patience: 0);
        schedule.OnEpochEnd(new EpochMetrics { ValidationAccuracy = 0.8 });
        schedule.OnEpochEnd(new EpochMetrics { ValidationAccuracy = 0.9 });
        Assert.Equal(1.0, schedule.Factor(2, 0));
        schedule.OnEpochEnd(new EpochMetrics { ValidationAccuracy = 0.85 });

        var copy = LearningRateSchedule.ReduceOnPlateau(Metric.ValidationAccuracy, factor: 0.1, patience: 0);
        copy.LoadState(schedule.SaveState());

        Assert.Equal(0.1, schedule.Factor(3, 0), 12);
        Assert.Equal(schedule.SaveState().ToJsonString(), copy.SaveState().ToJsonString());
    }

    [Fact]
    public void Warmup_rises_linearly_then_hands_over()
    {
        var schedule = LearningRateSchedule.Warmup(4, LearningRateSchedule.Step(1, 0.5), startFactor: 0.2);

        AssertSequence([0.2, 0.4, 0.6, 0.8, 1.0, 1.0], step => schedule.Factor(0, step));
        Assert.Equal(0.5, schedule.Factor(1, 10), 12);
    }
}
