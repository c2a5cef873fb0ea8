using System.Text.Json.Nodes;
using CnnClassify.Serialization;

namespace CnnClassify.Training;

/// <summary>
/// ReduceLROnPlateau: when the monitored metric has not improved by more than a relative
/// threshold for <see cref="Patience"/> epochs, the rate is multiplied by <see cref="ReduceFactor"/>,
/// then <see cref="Cooldown"/> epochs pass before counting again. Minimised for losses, maximised
/// for accuracies.
/// </summary>
public sealed class ReduceOnPlateauSchedule : LearningRateSchedule
{
    private double _factor = 1;
    private double? _best;
    private int _badEpochs;
    private int _cooldownLeft;

    internal ReduceOnPlateauSchedule(Metric monitor, double factor, int patience, double threshold, int cooldown, double minFactor)
    {
        if (!(factor > 0 && factor < 1) || patience < 0 || !(threshold >= 0) || cooldown < 0 || !(minFactor >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), "Need factor in (0, 1), patience, threshold, cooldown and minFactor >= 0.");
        }

        (Monitor, ReduceFactor, Patience, Threshold, Cooldown, MinFactor) = (monitor, factor, patience, threshold, cooldown, minFactor);
    }

    /// <summary>The metric watched.</summary>
    public Metric Monitor { get; }

    /// <summary>Multiplier applied when the metric stalls.</summary>
    public double ReduceFactor { get; }

    /// <summary>Epochs without improvement before reducing.</summary>
    public int Patience { get; }

    /// <summary>Relative improvement that counts.</summary>
    public double Threshold { get; }

    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>Lowest factor.</summary>
    public double MinFactor { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Epoch;

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep) => _factor;

    /// <inheritdoc />
    public override void OnEpochEnd(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var value = metrics.Value(Monitor);
        var maximise = Monitor.IsMaximised();
        var improved = _best is not { } best
            || (maximise ? value > best * (1 + Threshold) : value < best * (1 - Threshold));
        if (improved)
        {
            _best = value;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }

        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _badEpochs = 0;
        }

        if (_badEpochs > Patience)
        {
            _factor = Math.Max(MinFactor, _factor * ReduceFactor);
            _cooldownLeft = Cooldown;
            _badEpochs = 0;
        }
    }

    /// <inheritdoc />
    public override JsonObject SaveState() => new()
    {
        ["factor"] = _factor,
        ["best"] = _best,
        ["bad_epochs"] = _badEpochs,
        ["cooldown_left"] = _cooldownLeft,
    };

    /// <inheritdoc />
    public override void LoadState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _factor = JsonNumbers.Read(state["factor"]) ?? _factor;
        _best = JsonNumbers.Read(state["best"]);
        _badEpochs = state["bad_epochs"]!.GetValue<int>();
        _cooldownLeft = state["cooldown_left"]!.GetValue<int>();
    }
}
