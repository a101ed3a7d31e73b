"""Reading template.yaml as CloudFormation would: its short-form tags, parameters, conditions, Globals and the
intrinsic functions the stack uses. The local emulator deploys from this, so the template stays the one source
of truth for what runs locally and in AWS."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NO_VALUE = object()  # AWS::NoValue: the property is dropped


class TemplateError(Exception):
    pass


class _CfnLoader(yaml.SafeLoader):
    pass


def _short_form(name: str) -> Any:
    full = "Ref" if name == "Ref" else ("Condition" if name == "Condition" else f"Fn::{name}")

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)
            value = loader.construct_mapping(node, deep=True)
        return {full: value}

    return construct


for _tag in ("Ref", "Condition", "GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Join", "Select", "Split",
             "FindInMap", "ImportValue", "Base64", "GetAZs"):  # fmt: skip
    _CfnLoader.add_constructor(f"!{_tag}", _short_form(_tag))


def load_template(path: Path) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader with CFN tags only
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return loaded


@dataclass
class Resolver:
    """Evaluates intrinsic functions against parameter values and the physical ids/attributes of resources."""

    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    pseudo: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_template(
        cls, template: dict[str, Any], overrides: Mapping[str, str], pseudo: Mapping[str, str]
    ) -> "Resolver":
        declared = template.get("Parameters", {})
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameters: {sorted(unknown)}")
        values = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        values |= {name: str(value) for name, value in overrides.items()}
        return cls(template=template, parameters=values, pseudo=dict(pseudo))

    def check_rules(self) -> None:
        """The template's Rules, as CloudFormation checks them before creating anything: a rule whose condition
        holds fails the deployment with the description of each assertion that does not."""
        failed = [
            str(assertion.get("AssertDescription", name))
            for name, rule in self.template.get("Rules", {}).items()
            if self.resolve(rule.get("RuleCondition", True))
            for assertion in rule.get("Assertions", [])
            if not self.resolve(assertion["Assert"])
        ]
        if failed:
            raise TemplateError("; ".join(failed))

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"unknown condition {name}")
        return bool(self.resolve(conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = getattr(self, "_" + key.replace("Fn::", "fn_").replace("::", "_"), None)
            if handler is not None:
                return handler(argument)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _Ref(self, name: str) -> Any:  # noqa: N802 - named after the intrinsic
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            declared = self.template.get("Parameters", {}).get(name, {})
            if declared.get("Type") == "CommaDelimitedList":  # a list, as CloudFormation gives it
                return self.parameters[name].split(",") if self.parameters[name] else []
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"Ref {name}: not a parameter and not deployed (yet)")

    def _fn_GetAtt(self, argument: list[str] | str) -> str:  # noqa: N802
        if isinstance(argument, str):  # the "Resource.Attribute" form (JSON templates, SAM's output)
            argument = argument.split(".", 1)
        key = (argument[0], argument[1])
        if key not in self.attributes:
            raise TemplateError(f"GetAtt {'.'.join(argument)}: not available locally")
        return self.attributes[key]

    def _fn_Sub(self, argument: Any) -> str:  # noqa: N802
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        local = {k: str(self.resolve(v)) for k, v in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return local[name]
            if "." in name:
                logical, attribute = name.split(".", 1)
                return self._fn_GetAtt([logical, attribute])
            return str(self._Ref(name))

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)

    def _fn_If(self, argument: list[Any]) -> Any:  # noqa: N802
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_Equals(self, argument: list[Any]) -> bool:  # noqa: N802
        left, right = (self.resolve(a) for a in argument)
        return str(left) == str(right)

    def _fn_Not(self, argument: list[Any]) -> bool:  # noqa: N802
        return not self.resolve(argument[0])

    def _fn_And(self, argument: list[Any]) -> bool:  # noqa: N802
        return all(self.resolve(a) for a in argument)

    def _fn_Or(self, argument: list[Any]) -> bool:  # noqa: N802
        return any(self.resolve(a) for a in argument)

    def _fn_EachMemberEquals(self, argument: list[Any]) -> bool:  # noqa: N802 - a Rules function
        items, expected = (self.resolve(a) for a in argument)
        return all(str(item) == str(expected) for item in (items if isinstance(items, list) else [items]))

    def _Condition(self, name: str) -> bool:  # noqa: N802
        return self.condition(name)

    def _fn_Join(self, argument: list[Any]) -> str:  # noqa: N802
        separator, items = argument
        return str(separator).join(str(i) for i in self.resolve(items))

    def _fn_Split(self, argument: list[Any]) -> list[str]:  # noqa: N802
        separator, text = argument
        return str(self.resolve(text)).split(separator)

    def _fn_Select(self, argument: list[Any]) -> Any:  # noqa: N802
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]


def function_properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """A serverless function's properties merged over Globals.Function (environment variables merged too)."""
    globals_ = template.get("Globals", {}).get("Function", {})
    own = template["Resources"][logical_id].get("Properties", {})
    merged = {**globals_, **own}
    variables = {
        **globals_.get("Environment", {}).get("Variables", {}),
        **own.get("Environment", {}).get("Variables", {}),
    }
    merged["Environment"] = {"Variables": variables}
    return merged


def resources_of_type(template: dict[str, Any], resource_type: str) -> list[str]:
    return [name for name, spec in template["Resources"].items() if spec.get("Type") == resource_type]


def placeholders(definition_text: str) -> set[str]:
    """The ${...} names an ASL definition expects from DefinitionSubstitutions."""
    return set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition_text))


def references(value: Any) -> set[str]:
    """Names a template fragment refers to (Ref, GetAtt, and ${...} inside Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref":
                found.add(str(argument))
            elif key == "Fn::GetAtt":
                found.add(str(argument[0]))
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(argument, str):
                    found |= references(argument[1])
            else:
                found |= references(argument)
    return found


def without_events(properties: dict[str, Any]) -> dict[str, Any]:
    """A function's properties without its event sources: SAM turns those into separate resources (rules,
    permissions), so a rule may reference a state machine that itself invokes the function."""
    return {key: value for key, value in properties.items() if key != "Events"}


def deployment_order(template: dict[str, Any], type_order: tuple[str, ...]) -> list[str]:
    """Resources ordered so that each comes after what it references (type order breaks ties)."""
    resources: dict[str, Any] = template["Resources"]
    pending = {
        name: references(
            without_events(function_properties(template, name)) if spec["Type"] == "AWS::Serverless::Function" else spec
        )
        & set(resources)
        for name, spec in resources.items()
    }
    rank = {name: type_order.index(spec["Type"]) if spec["Type"] in type_order else len(type_order)
            for name, spec in resources.items()}  # fmt: skip
    ordered: list[str] = []
    while pending:
        ready = sorted((n for n, deps in pending.items() if deps <= set(ordered)), key=lambda n: (rank[n], n))
        if not ready:
            raise TemplateError(f"circular references among {sorted(pending)}")
        ordered.append(ready[0])
        del pending[ready[0]]
    return ordered
