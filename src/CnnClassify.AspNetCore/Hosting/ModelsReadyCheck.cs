using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CnnClassify.Serving.Hosting;

/// <summary>Readiness: healthy once every model has answered its warm-up call.</summary>
internal sealed class ModelsReadyCheck(ModelCatalog catalog) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var waiting = catalog.Models.Where(m => !m.Ready).Select(m => m.Name).ToList();
        return Task.FromResult(catalog.Models.Count > 0 && waiting.Count == 0
            ? HealthCheckResult.Healthy($"{catalog.Models.Count} model(s) ready")
            : HealthCheckResult.Unhealthy(waiting.Count > 0 ? $"not ready: {string.Join(", ", waiting)}" : "no model loaded"));
    }
}
