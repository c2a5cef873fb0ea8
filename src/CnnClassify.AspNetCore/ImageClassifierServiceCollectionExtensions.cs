using CnnClassify.Serving;
using CnnClassify.Serving.Endpoints;
using CnnClassify.Serving.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers CnnClassify's image classification services.</summary>
public static class ImageClassifierServiceCollectionExtensions
{
    /// <summary>
    /// Registers the models and limits of <paramref name="configure"/>: the models are loaded when
    /// the application starts (a bad option or a model that cannot be loaded stops it, naming
    /// which), warmed up in the background, and served by <c>MapImageClassifier</c>. Also registers
    /// ProblemDetails, health checks (readiness tagged <c>ready</c>) and the
    /// <see cref="ServingMetrics.MeterName"/> meter.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Adds models and sets limits.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddImageClassifier(this IServiceCollection services, Action<ImageClassifierOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ImageClassifierOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ImageClassifierOptions>, ImageClassifierOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<ServingMetrics>();
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<ClassificationHandler>();
        services.AddHostedService<ModelStartup>();
        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<ModelsReadyCheck>("cnnclassify-models", tags: [ModelsReadyCheck.Tag]);
        return services;
    }
}
