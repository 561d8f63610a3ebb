using Xunit.Abstractions;
using Xunit.Sdk;

namespace KrautPortal.Tests.Support;

/// <summary>The place of a test among the ordered steps of its class (see <see cref="StepOrderer"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int number) : Attribute
{
    public int Number { get; } = number;
}

/// <summary>
/// Runs a class's tests in the order of their <see cref="StepAttribute"/>, for classes whose tests share one expensive
/// resource (a booted TCG guest) and so must know what the steps before them left. A test without a step fails to run.
/// </summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "KrautPortal.Tests.Support.StepOrderer";
    public const string AssemblyName = "KrautPortal.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(c => Step(c)).ThenBy(c => c.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int Step(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute)).SingleOrDefault()?.GetConstructorArguments().Single() as int?
        ?? throw new InvalidOperationException($"{testCase.TestMethod.TestClass.Class.Name}.{testCase.TestMethod.Method.Name} has no [Step]: its class runs its tests in steps.");
}
