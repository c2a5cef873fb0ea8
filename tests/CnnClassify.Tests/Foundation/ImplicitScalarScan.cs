using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace CnnClassify.Tests.Foundation;

/// <summary>
/// Finds the places in an assembly's IL that convert a number to a TorchSharp <c>Scalar</c>
/// implicitly: calls to <c>Scalar.op_Implicit</c>. Such a Scalar is never disposed, so the
/// finalizer may free it while the native call that received its handle still runs.
/// </summary>
internal static class ImplicitScalarScan
{
    /// <summary>Every method (as <c>Namespace.Type.Method</c>) that calls <c>Scalar.op_Implicit</c>, with the number of calls.</summary>
    public static IReadOnlyList<(string Type, string Method, int Calls)> Find(Assembly assembly)
    {
        var found = new List<(string, string, int)>();
        EachMethod(assembly, (reader, type, method, il) =>
        {
            var calls = CountImplicitScalars(reader, il);
            if (calls > 0)
            {
                found.Add((type, method, calls));
            }
        });
        return found;
    }

    /// <summary>Calls <paramref name="visit"/> with the metadata, type name (nested types after a +), method name and IL of every method with a body.</summary>
    internal static void EachMethod(Assembly assembly, Action<MetadataReader, string, string, byte[]> visit)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        foreach (var typeHandle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(typeHandle);
            var typeName = FullName(reader, type);
            foreach (var methodHandle in type.GetMethods())
            {
                var method = reader.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress != 0)
                {
                    visit(reader, typeName, reader.GetString(method.Name), pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!);
                }
            }
        }
    }

    private static string FullName(MetadataReader reader, TypeDefinition type)
    {
        var name = reader.GetString(type.Name);
        var declaring = type.GetDeclaringType();
        return declaring.IsNil
            ? $"{reader.GetString(type.Namespace)}.{name}"
            : $"{FullName(reader, reader.GetTypeDefinition(declaring))}+{name}";
    }

    private static int CountImplicitScalars(MetadataReader reader, byte[] il)
    {
        var count = 0;
        var position = 0;
        while (position < il.Length)
        {
            int opcode = il[position++];
            if (opcode == 0xFE)
            {
                opcode = 0xFE00 | il[position++];
            }

            var operand = OperandSize(opcode, il, position);
            if (opcode is 0x28 or 0x6F && IsImplicitScalar(reader, MetadataTokens.EntityHandle(BitConverter.ToInt32(il, position))))
            {
                count++;
            }

            position += operand;
        }

        return count;
    }

    private static bool IsImplicitScalar(MetadataReader reader, EntityHandle handle)
    {
        if (handle.Kind != HandleKind.MemberReference)
        {
            return false;
        }

        var member = reader.GetMemberReference((MemberReferenceHandle)handle);
        if (member.Parent.Kind != HandleKind.TypeReference || member.GetKind() != MemberReferenceKind.Method)
        {
            return false;
        }

        var name = reader.GetString(member.Name);
        var parent = reader.GetTypeReference((TypeReferenceHandle)member.Parent);
        var parentName = reader.GetString(parent.Name);
        if (name == "op_Implicit")
        {
            return parentName == "Scalar";
        }

        var signature = member.DecodeMethodSignature(new TypeNames(), null);
        var parameters = signature.ParameterTypes;

        // Modules whose forward pass turns a number it keeps into a Scalar on every call.
        if (parentName == "nn")
        {
            return name is "LeakyReLU" or "ELU" or "CELU" or "Hardtanh" or "Softplus" or "Threshold";
        }

        if (parentName != "Tensor")
        {
            return false;
        }

        // Overloads that fill in a default alpha or value (1) as a new Scalar inside TorchSharp.
        if ((name is "add" or "add_" && parameters.Length == 1) || (name is "addcdiv" or "addcdiv_" or "addcmul" or "addcmul_" && parameters.Length == 2)
            || (name is "elu" or "elu_" or "leaky_relu" or "leaky_relu_" && parameters.Any(IsNumber)))
        {
            return true;
        }

        // Tensor + Tensor adds with a default alpha; Scalar - Tensor adds too; any operator with a number converts it.
        return name.StartsWith("op_", StringComparison.Ordinal)
            && (name == "op_Addition" || (name == "op_Subtraction" && parameters[0] != "Tensor") || parameters.Any(IsNumber));
    }

    private static bool IsNumber(string type) => type is "int" or "long" or "float" or "double" or "bool";

    /// <summary>Names just enough of a signature's types to tell numbers from tensors.</summary>
    internal sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Int32 => "int",
            PrimitiveTypeCode.Int64 => "long",
            PrimitiveTypeCode.Single => "float",
            PrimitiveTypeCode.Double => "double",
            PrimitiveTypeCode.Boolean => "bool",
            _ => typeCode.ToString(),
        };

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";

        public string GetByReferenceType(string elementType) => elementType + "&";

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetGenericInstantiation(string genericType, System.Collections.Immutable.ImmutableArray<string> typeArguments) => genericType;

        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;

        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;

        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetPinnedType(string elementType) => elementType;
    }

    /// <summary>Operand sizes of ECMA-335 opcodes.</summary>
    internal static int OperandSize(int opcode, byte[] il, int position) => opcode switch
    {
        0x20 or 0x22 or 0x28 or 0x29 or 0x27 or 0x6F or 0x70 or 0x71 or 0x72 or 0x73 or 0x74 or 0x75 or 0x79 or 0x7B or 0x7C or 0x7D or 0x7E or 0x7F or 0x80
            or 0x81 or 0x8C or 0x8D or 0x8F or 0xA3 or 0xA4 or 0xA5 or 0xC2 or 0xC6 or 0xD0 or 0xD1 or 0xDD
            or >= 0x38 and <= 0x44 => 4,
        0x21 or 0x23 => 8,
        0x45 => 4 + (4 * BitConverter.ToInt32(il, position)),
        0x0E or 0x0F or 0x10 or 0x11 or 0x12 or 0x13 or 0x1F or 0xDE or >= 0x2B and <= 0x37 => 1,
        0xFE06 or 0xFE07 or 0xFE15 or 0xFE16 or 0xFE1C or 0xFE0A or 0xFE09 or 0xFE0B or 0xFE0C or 0xFE0D or 0xFE0E => opcode is 0xFE09 or 0xFE0A or 0xFE0B or 0xFE0C or 0xFE0D or 0xFE0E ? 2 : 4,
        0xFE12 or 0xFE19 or 0xFE1D => 1,
        _ => 0,
    };
}
