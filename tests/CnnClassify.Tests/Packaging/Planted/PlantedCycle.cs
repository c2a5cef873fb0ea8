// Two namespaces that use each other, planted for ArchitectureTests to find.
namespace CnnClassify.Tests.Packaging.Planted.Lower
{
    /// <summary>Uses the layer above it: the dependency the architecture test must report.</summary>
    internal static class UsesUpper
    {
        public static int Value() => Upper.UsesLower.Base() + 1;
    }
}

namespace CnnClassify.Tests.Packaging.Planted.Upper
{
    /// <summary>Uses the layer below it, as allowed.</summary>
    internal static class UsesLower
    {
        public static int Base() => 1;

        public static int Value() => Lower.UsesUpper.Value();
    }
}
