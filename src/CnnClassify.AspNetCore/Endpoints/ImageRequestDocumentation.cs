using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CnnClassify.Serving.Endpoints;

/// <summary>
/// Describes an image endpoint's request in the OpenAPI document: the image as a raw body of any
/// accepted type or as multipart file parts, and the <c>top</c>, <c>threshold</c> and <c>class</c>
/// query parameters.
/// </summary>
internal static class ImageRequestDocumentation
{
    public static Task Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema> { ["image"] = binary },
                    Required = new HashSet<string> { "image" },
                },
            },
        };
        foreach (var type in ImageClassifierOptions.ImageContentTypes)
        {
            content[type] = new OpenApiMediaType { Schema = binary };
        }

        operation.RequestBody = new OpenApiRequestBody { Required = true, Description = "The image: the raw body with its content type, or file parts named 'image' of a multipart form.", Content = content };
        operation.Parameters ??= [];
        var explain = context.Description.RelativePath?.EndsWith("explain", StringComparison.Ordinal) == true;
        if (explain)
        {
            operation.Parameters.Add(Query("class", "The class to explain; by default the most probable one.", new OpenApiSchema { Type = JsonSchemaType.String }));
        }
        else
        {
            operation.Parameters.Add(Query("top", "How many of the most probable classes to list (1 to the model's classes).", new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1" }));
            operation.Parameters.Add(Query("threshold", "Multi-label models only: the probability at which a class is predicted, replacing the model's thresholds.", new OpenApiSchema { Type = JsonSchemaType.Number, Format = "double", Minimum = "0", Maximum = "1" }));
        }

        return Task.CompletedTask;
    }

    private static OpenApiParameter Query(string name, string description, OpenApiSchema schema) =>
        new() { Name = name, In = ParameterLocation.Query, Required = false, Description = description, Schema = schema };
}
