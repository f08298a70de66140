//! Features and actions: `Feature` (+ refs and groups, feature conditions), `CustomAction`,
//! `SetProperty`/`SetDirectory`, and the sequence elements that schedule standard and
//! custom actions.

use super::component::Ctx;
use super::layout;
use super::{condition_text, no_children, unexpected, Attrs, Parser};
use crate::error::{Result, WixError};
use crate::model::{Member, Membership, Reference, Schedule, Val};
use crate::sequence::{Placement, SequenceTable};
use crate::xml::Element;

pub fn feature(p: &mut Parser, el: &Element, parent: Option<&Member>) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    if id.len() > 38 {
        return Err(a.err(format!(
            "feature id `{id}` is {} characters; Windows Installer limits feature ids to 38",
            id.len()
        )));
    }
    let title = a.opt("Title").map(str::to_string);
    let description = a.opt("Description").map(str::to_string);
    let display_attr = a.opt("Display").map(str::to_string);
    let level = a.int_range("Level", 0, 32767)?.unwrap_or(1);
    let directory = a.id("ConfigurableDirectory")?;
    let mut attributes = 0;
    match a.choice("AllowAdvertise", &["no", "system", "yes"])? {
        Some("no") => attributes |= 8,
        Some("system") => attributes |= 32,
        _ => {}
    }
    let disallow_absent = if p.v4() {
        a.yesno("AllowAbsent")? == Some(false)
    } else {
        a.choice("Absent", &["allow", "disallow"])? == Some("disallow")
    };
    if disallow_absent {
        attributes |= 16;
    }
    match a.choice("InstallDefault", &["followParent", "local", "source"])? {
        Some("followParent") => attributes |= 2,
        Some("source") => attributes |= 1,
        _ => {}
    }
    if a.choice("TypicalDefault", &["advertise", "install"])? == Some("advertise") {
        attributes |= 4;
    }
    a.finish()?;
    // WiX numbers displayed features in authoring order: collapsed ones get even numbers,
    // expanded ones odd numbers, with one counter per list of sibling features (Compiler.cs
    // ParseFeatureElement: `ref lastDisplay` for siblings, a fresh `childDisplay` for the
    // children of each Feature, FeatureRef and FeatureGroup).
    let display = match display_attr.as_deref() {
        None | Some("collapse") => {
            p.feature_display = (p.feature_display | 1) + 1;
            p.feature_display
        }
        Some("expand") => {
            p.feature_display = (p.feature_display + 1) | 1;
            p.feature_display
        }
        Some("hidden") => 0,
        Some(n) => match n.parse::<i32>() {
            Ok(v) if v >= 0 => {
                // An explicit number continues the count, unless it hides the feature.
                if v != 0 {
                    p.feature_display = v;
                }
                v
            }
            _ => {
                return Err(a.err(format!(
                    "`Display` is `{n}`; allowed: collapse, expand, hidden or a number"
                )))
            }
        },
    };
    let parent_id = match parent {
        Some(Member::Feature(f)) => Some(f.clone()),
        _ => None,
    };
    if let Some(d) = &directory {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    p.sec().row(
        "Feature",
        &el.loc,
        vec![
            id.clone().into(),
            Val::opt_str(parent_id),
            Val::opt_str(title),
            Val::opt_str(description),
            display.into(),
            level.into(),
            Val::opt_str(directory),
            attributes.into(),
        ],
    );
    if let Some(Member::FeatureGroup(g)) = parent {
        p.sec().memberships.push(Membership {
            parent: Member::FeatureGroup(g.clone()),
            member: Member::Feature(id.clone()),
            loc: el.loc.clone(),
        });
    }
    feature_children(p, el, &Member::Feature(id.clone()), Some(&id))
}

fn feature_children(
    p: &mut Parser,
    el: &Element,
    me: &Member,
    feature_id: Option<&str>,
) -> Result<()> {
    let siblings = std::mem::replace(&mut p.feature_display, 0);
    let r = feature_children_inner(p, el, me, feature_id);
    p.feature_display = siblings;
    r
}

fn feature_children_inner(
    p: &mut Parser,
    el: &Element,
    me: &Member,
    feature_id: Option<&str>,
) -> Result<()> {
    for child in &el.children {
        if child.ns.is_util() {
            return Err(unexpected(el, child));
        }
        match child.name.as_str() {
            "Feature" => feature(p, child, Some(me))?,
            "FeatureRef" => feature_ref(p, child, Some(me))?,
            "FeatureGroupRef" => feature_group_ref(p, child, Some(me))?,
            "ComponentRef" | "ComponentGroupRef" => layout::group_ref(p, child, me)?,
            "Component" => {
                let ctx = Ctx {
                    directory: child.attr("Directory").map(str::to_string),
                    parent: Some(me.clone()),
                    ..Ctx::default()
                };
                layout::component(p, child, &ctx)?
            }
            "ComponentGroup" if p.v4() => return Err(unexpected(el, child)),
            // WiX puts Files under a FeatureGroup in a feature named after the group
            // (Compiler.cs ParseFeatureGroupElement); here the group holds them, as it
            // holds naked files, so they install with the features that use the group.
            "File" if p.v4() => {
                super::naked::naked_file(p, child, &super::naked::in_parent(Some(me.clone())))?
            }
            "Files" if p.v4() => {
                super::naked::files(p, child, &super::naked::in_parent(Some(me.clone())))?
            }
            "Condition" if !p.v4() => {
                let fid = feature_id.ok_or_else(|| unexpected(el, child))?;
                let mut a = Attrs::new(child);
                let level = a
                    .int_range("Level", 0, 32767)?
                    .ok_or_else(|| a.err("missing required attribute `Level`"))?;
                a.finish()?;
                let cond = condition_text(child)?;
                p.sec().row(
                    "Condition",
                    &child.loc,
                    vec![fid.into(), level.into(), cond.into()],
                );
            }
            "Level" if p.v4() => {
                let fid = feature_id.ok_or_else(|| unexpected(el, child))?;
                let mut a = Attrs::new(child);
                let level = a
                    .int_range("Value", 0, 32767)?
                    .ok_or_else(|| a.err("missing required attribute `Value`"))?;
                let cond = a.req("Condition")?.to_string();
                a.finish()?;
                p.sec().row(
                    "Condition",
                    &child.loc,
                    vec![fid.into(), level.into(), cond.into()],
                );
            }
            "MergeRef" => return Err(super::unsupported(child, "merge modules are not supported")),
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(())
}

pub fn feature_ref(p: &mut Parser, el: &Element, parent: Option<&Member>) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.ignore(&["IgnoreParent", "Primary"]);
    a.finish()?;
    p.sec().reference("Feature", id.clone(), &el.loc);
    if let Some(parent) = parent {
        p.sec().memberships.push(Membership {
            parent: parent.clone(),
            member: Member::Feature(id.clone()),
            loc: el.loc.clone(),
        });
    }
    // Children of a FeatureRef are added to the referenced feature.
    feature_children(p, el, &Member::Feature(id.clone()), Some(&id))
}

pub fn feature_group(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.finish()?;
    p.sec().groups.push(Reference {
        table: "FeatureGroup",
        id: id.clone(),
        loc: el.loc.clone(),
    });
    feature_children(p, el, &Member::FeatureGroup(id), None)
}

pub fn feature_group_ref(p: &mut Parser, el: &Element, parent: Option<&Member>) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.ignore(&["IgnoreParent", "Primary"]);
    a.finish()?;
    no_children(el)?;
    p.sec().reference("FeatureGroup", id.clone(), &el.loc);
    if let Some(parent) = parent {
        p.sec().memberships.push(Membership {
            parent: parent.clone(),
            member: Member::FeatureGroup(id),
            loc: el.loc.clone(),
        });
    }
    Ok(())
}

/// `CustomAction`: one CustomAction row, its Type made of the execution bits, where its
/// source is (Binary, Directory, File or Property) and what its target is.
pub fn custom_action(p: &mut Parser, el: &Element) -> Result<()> {
    let ca = CustomActionAttrs::read(p, el)?;
    no_children(el)?;
    let source = ca.source(p, el)?;
    let (target_bits, source, target) = ca.target(el, source)?;
    let mut bits = ca.bits;
    let is_script = target_bits == 0x5 || target_bits == 0x6;
    if is_script && ca.win64.unwrap_or(p.is_64bit()) {
        bits |= 0x1000;
    }
    let ty = bits | source.bits | target_bits;
    let extended = if ca.patch_uninstall {
        Some(0x8000)
    } else {
        None
    };
    p.sec().row(
        "CustomAction",
        &el.loc,
        vec![
            ca.id.into(),
            ty.into(),
            Val::opt_str(source.name),
            Val::opt_str(target),
            Val::opt_int(extended),
        ],
    );
    Ok(())
}

/// A `CustomAction`'s attributes: its source, its possible targets, and the Type bits its
/// execution attributes give.
struct CustomActionAttrs<'e> {
    id: String,
    binary: Option<String>,
    directory: Option<String>,
    file: Option<String>,
    property: Option<String>,
    dll_entry: Option<&'e str>,
    exe: Option<&'e str>,
    error: Option<&'e str>,
    js: Option<&'e str>,
    vbs: Option<&'e str>,
    value: Option<&'e str>,
    script: Option<&'e str>,
    bits: i32,
    win64: Option<bool>,
    patch_uninstall: bool,
}

/// A custom action's source column and its Type bits.
struct Source {
    bits: i32,
    name: Option<String>,
}

impl<'e> CustomActionAttrs<'e> {
    fn read(p: &Parser, el: &'e Element) -> Result<Self> {
        let mut a = Attrs::new(el);
        let id = a.req_id("Id")?;
        let binary = a.id("BinaryKey")?.or(a.id("BinaryRef")?);
        let directory = a.id("Directory")?;
        let file = a.id("FileKey")?.or(a.id("FileRef")?);
        let property = a.id("Property")?;
        let dll_entry = a.opt("DllEntry");
        let exe = a.opt("ExeCommand");
        let error = a.opt("Error");
        let js = a.opt("JScriptCall");
        let vbs = a.opt("VBScriptCall");
        let value = a.opt("Value");
        let script = a.choice("Script", &["jscript", "vbscript"])?;
        let bits = execution_bits(&mut a)?;
        let win64 = if p.v4() {
            a.choice("Bitness", &["default", "always32", "always64"])?
                .map(|b| b == "always64")
        } else {
            a.yesno("Win64")?
        };
        let patch_uninstall = a.flag("PatchUninstall")?;
        a.ignore(&["SuppressModularization"]);
        a.finish()?;
        Ok(CustomActionAttrs {
            id,
            binary,
            directory,
            file,
            property,
            dll_entry,
            exe,
            error,
            js,
            vbs,
            value,
            script,
            bits,
            win64,
            patch_uninstall,
        })
    }

    /// The one source attribute, referenced: a Binary (0x00), File (0x10), Directory (0x20)
    /// or Property (0x30); none is allowed.
    fn source(&self, p: &mut Parser, el: &Element) -> Result<Source> {
        let (bits, name) = match (&self.binary, &self.directory, &self.file, &self.property) {
            (Some(b), None, None, None) => {
                p.sec().reference("Binary", b.clone(), &el.loc);
                (0x00, Some(b.clone()))
            }
            (None, Some(d), None, None) => {
                p.sec().reference("Directory", d.clone(), &el.loc);
                (0x20, Some(d.clone()))
            }
            (None, None, Some(f), None) => {
                p.sec().reference("File", f.clone(), &el.loc);
                (0x10, Some(f.clone()))
            }
            (None, None, None, Some(pr)) => (0x30, Some(pr.clone())),
            (None, None, None, None) => (0, None),
            _ => {
                return Err(WixError::new(
                    el.loc.clone(),
                    "CustomAction: use only one of BinaryKey, Directory, FileKey, Property",
                ))
            }
        };
        Ok(Source { bits, name })
    }

    /// The target's Type bits, the source (an Error or Script action has its own) and the
    /// Target column: the first of DllEntry, ExeCommand, JScriptCall, VBScriptCall, Error,
    /// Value and Script.
    fn target(&self, el: &Element, source: Source) -> Result<(i32, Source, Option<String>)> {
        let target = |t: &str| Some(t.to_string());
        Ok(if let Some(e) = self.dll_entry {
            (0x1, source, target(e))
        } else if let Some(e) = self.exe {
            (0x2, source, target(e))
        } else if let Some(j) = self.js {
            (0x5, source, target(j))
        } else if let Some(v) = self.vbs {
            (0x6, source, target(v))
        } else if let Some(e) = self.error {
            let error = Source {
                bits: 0x10,
                name: None,
            };
            (0x3, error, target(e))
        } else if let Some(v) = self.value {
            if source.bits != 0x30 && source.bits != 0x20 {
                return Err(WixError::new(
                    el.loc.clone(),
                    "CustomAction: `Value` needs `Property` or `Directory`",
                ));
            }
            (0x3, source, target(v))
        } else if let Some(s) = self.script {
            if el.text.is_empty() {
                return Err(WixError::new(
                    el.loc.clone(),
                    "CustomAction: Script needs the script as the element's text",
                ));
            }
            let inline = Source {
                bits: 0x20,
                name: None,
            };
            let bits = if s == "jscript" { 0x5 } else { 0x6 };
            (bits, inline, Some(el.text.clone()))
        } else {
            return Err(WixError::new(
                el.loc.clone(),
                "CustomAction: needs a target: DllEntry, ExeCommand, JScriptCall, VBScriptCall, Error, Value or Script",
            ));
        })
    }
}

/// The Type bits of `Execute`, `HideTarget`, `Impersonate`, `Return` and
/// `TerminalServerAware`.
fn execution_bits(a: &mut Attrs) -> Result<i32> {
    let mut bits = 0;
    match a.choice(
        "Execute",
        &[
            "commit",
            "deferred",
            "firstSequence",
            "immediate",
            "oncePerProcess",
            "rollback",
            "secondSequence",
        ],
    )? {
        Some("commit") => bits |= 0x400 | 0x200,
        Some("deferred") => bits |= 0x400,
        Some("firstSequence") => bits |= 0x100,
        Some("oncePerProcess") => bits |= 0x200,
        Some("rollback") => bits |= 0x400 | 0x100,
        Some("secondSequence") => bits |= 0x300,
        _ => {}
    }
    if a.flag("HideTarget")? {
        bits |= 0x2000;
    }
    if a.yesno("Impersonate")? == Some(false) {
        bits |= 0x800;
    }
    match a.choice("Return", &["asyncNoWait", "asyncWait", "check", "ignore"])? {
        Some("asyncNoWait") => bits |= 0x80 | 0x40,
        Some("asyncWait") => bits |= 0x80,
        Some("ignore") => bits |= 0x40,
        _ => {}
    }
    if a.flag("TerminalServerAware")? {
        bits |= 0x4000;
    }
    Ok(bits)
}

fn placement(a: &mut Attrs) -> Result<Option<Placement>> {
    let after = a.opt("After").map(str::to_string);
    let before = a.opt("Before").map(str::to_string);
    let seq = a.int_range("Sequence", -4, 32767)?;
    match (after, before, seq) {
        (Some(x), None, None) => Ok(Some(Placement::After(x))),
        (None, Some(x), None) => Ok(Some(Placement::Before(x))),
        (None, None, Some(n)) => Ok(Some(Placement::Sequence(n))),
        (None, None, None) => Ok(None),
        _ => Err(a.err("use only one of After, Before, Sequence")),
    }
}

fn sequence_table(name: &str) -> SequenceTable {
    match name {
        "InstallUISequence" => SequenceTable::InstallUI,
        "AdminExecuteSequence" => SequenceTable::AdminExecute,
        "AdminUISequence" => SequenceTable::AdminUI,
        "AdvertiseExecuteSequence" => SequenceTable::AdvtExecute,
        _ => SequenceTable::InstallExecute,
    }
}

pub fn sequence(p: &mut Parser, el: &Element) -> Result<()> {
    Attrs::new(el).finish()?;
    let table = sequence_table(&el.name);
    for child in &el.children {
        if child.ns.is_util() {
            return Err(unexpected(el, child));
        }
        let mut a = Attrs::new(child);
        // WiX v4+ lets `Custom/@Action` carry `virtual`/`override` (ParseHelper's access
        // modifiers): a virtual scheduling yields to an override, as `Overridable="yes"`
        // yields to a plain one.
        let mut modifier_overridable = false;
        let (action, is_custom) = match child.name.as_str() {
            "Custom" => {
                let raw = a.req("Action")?;
                let bare = match raw.split_once(' ') {
                    Some(("virtual", rest)) if p.v4() => {
                        modifier_overridable = true;
                        rest.trim()
                    }
                    Some(("override", rest)) if p.v4() => rest.trim(),
                    _ => raw,
                };
                super::check_identifier(bare, "Action", &child.loc)?;
                (bare.to_string(), true)
            }
            "Show" => {
                // WiX v4+ marks the scheduling that replaces an overridable one with
                // `override ` before the dialog's name.
                let dialog = a.req("Dialog")?;
                let dialog = dialog.strip_prefix("override ").unwrap_or(dialog);
                super::check_identifier(dialog, "Dialog", &child.loc)?;
                p.sec().reference("Dialog", dialog, &child.loc);
                (dialog.to_string(), true)
            }
            "SelectionTree" => {
                return Err(super::unsupported(
                    child,
                    "the SelectionTree scheduling element is not supported",
                ))
            }
            std => (std.to_string(), false),
        };
        let mut placement = placement(&mut a)?;
        if is_custom {
            if let Some(exit) = a.choice("OnExit", &["success", "cancel", "error", "suspend"])? {
                if placement.is_some() {
                    return Err(a.err("`OnExit` cannot be combined with After, Before or Sequence"));
                }
                placement = Some(Placement::Sequence(match exit {
                    "success" => -1,
                    "cancel" => -2,
                    "error" => -3,
                    _ => -4,
                }));
            }
        }
        let overridable = a.flag("Overridable")? || modifier_overridable;
        let suppress = a.flag("Suppress")?;
        let cond_attr = if p.v4() {
            a.opt("Condition").map(str::to_string)
        } else {
            None
        };
        a.finish()?;
        no_children(child)?;
        let condition = cond_attr.or_else(|| (!child.text.is_empty()).then(|| child.text.clone()));
        if is_custom && child.name == "Custom" {
            if placement.is_none() {
                return Err(WixError::new(
                    child.loc.clone(),
                    "Custom: needs After, Before, Sequence or OnExit",
                ));
            }
            p.sec()
                .reference("CustomAction", action.clone(), &child.loc);
        }
        p.sec().schedules.push(Schedule {
            table,
            action,
            condition,
            placement,
            overridable,
            suppress,
            loc: child.loc.clone(),
        });
    }
    Ok(())
}

fn which_sequences(el: &Element) -> Result<(Vec<SequenceTable>, i32)> {
    match el.attr("Sequence") {
        None | Some("both") => Ok((
            vec![SequenceTable::InstallUI, SequenceTable::InstallExecute],
            0,
        )),
        Some("execute") => Ok((vec![SequenceTable::InstallExecute], 0)),
        Some("ui") => Ok((vec![SequenceTable::InstallUI], 0)),
        Some("first") => Ok((
            vec![SequenceTable::InstallUI, SequenceTable::InstallExecute],
            0x100,
        )),
        Some(v) => Err(WixError::new(
            el.loc.clone(),
            format!(
                "{}: `Sequence` is `{v}`; allowed: both, execute, ui, first",
                el.display_name()
            ),
        )),
    }
}

/// Shared by SetProperty and SetDirectory: the type-51 custom action and its scheduling.
fn set_common(
    p: &mut Parser,
    el: &Element,
    action: String,
    ty: i32,
    source: String,
    value: String,
    default_after: Option<&str>,
) -> Result<()> {
    let (tables, first_bits) = which_sequences(el)?;
    let mut a = Attrs::new(el);
    a.ignore(&["Id", "Action", "Value", "Property", "Sequence"]);
    let mut placement = {
        let after = a.opt("After").map(str::to_string);
        let before = a.opt("Before").map(str::to_string);
        match (after, before) {
            (Some(x), None) => Some(Placement::After(x)),
            (None, Some(x)) => Some(Placement::Before(x)),
            (None, None) => None,
            _ => return Err(a.err("use only one of After, Before")),
        }
    };
    if placement.is_none() {
        placement = default_after.map(|x| Placement::After(x.to_string()));
    }
    let placement = placement.ok_or_else(|| a.err("needs After or Before"))?;
    let cond_attr = if p.v4() {
        a.opt("Condition").map(str::to_string)
    } else {
        None
    };
    a.finish()?;
    no_children(el)?;
    let condition = cond_attr.or_else(|| (!el.text.is_empty()).then(|| el.text.clone()));
    p.sec().row(
        "CustomAction",
        &el.loc,
        vec![
            action.clone().into(),
            (ty | first_bits).into(),
            source.into(),
            value.into(),
            Val::Null,
        ],
    );
    for t in tables {
        p.sec().schedules.push(Schedule {
            table: t,
            action: action.clone(),
            condition: condition.clone(),
            placement: Some(placement.clone()),
            overridable: false,
            suppress: false,
            loc: el.loc.clone(),
        });
    }
    Ok(())
}

pub fn set_property(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let property = a.req_id("Id")?;
    let value = a
        .opt("Value")
        .ok_or_else(|| a.err("missing required attribute `Value`"))?
        .to_string();
    let action = a.id("Action")?.unwrap_or_else(|| format!("Set{property}"));
    drop(a);
    set_common(p, el, action, 51, property, value, None)
}

pub fn set_directory(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let dir = a.req_id("Id")?;
    let value = a
        .opt("Value")
        .ok_or_else(|| a.err("missing required attribute `Value`"))?
        .to_string();
    let action = a.id("Action")?.unwrap_or_else(|| format!("Set{dir}"));
    drop(a);
    p.sec().reference("Directory", dir.clone(), &el.loc);
    set_common(p, el, action, 51, dir, value, Some("CostInitialize"))
}
