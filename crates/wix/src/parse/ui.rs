//! Authored user interface: `UI` and what it holds — `Dialog` with its `Control`s
//! (`Publish`, `Subscribe`, v3 `Condition`, `Text`), `TextStyle`, `UIText`, `ProgressText`,
//! `Error`, list/radio groups — into the Dialog, Control, ControlEvent, EventMapping,
//! ControlCondition, CheckBox, TextStyle, UIText, ActionText, Error, RadioButton, ComboBox,
//! ListBox and ListView tables, as WiX's compiler writes them (Compiler_UI.cs,
//! ParseUIElement and the element parsers it calls; the Control/Dialog attribute bits of
//! the symbol → row step).
//!
//! WiX's own dialog library (WixUI_*) is not carried: a `Publish` outside any `Control`
//! that customises one of its dialogs has nothing to attach to, so such rows are dropped
//! with a warning by [`crate::lower`] (ui.rs) once the whole product is known.

use super::super::error::{Result, WixError};
use super::super::model::{Reference, Val};
use super::super::xml::Element;
use super::property::{self, simple_ref, stream};
use super::{no_children, unexpected, upper_first, Attrs, Parser};

/// The table that records `UI/@Id` definitions for `UIRef`.
pub const UI_SYMBOL: &str = "WixUI";

/// `ui:WixUI`: a reference to one of WiX's dialog sets.
pub(super) fn wixui(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req("Id")?.to_string();
    a.ignore(&["InstallDirectory", "ExtendedPathValidation"]);
    a.finish()?;
    wixui_reference(p, el, &id)
}

/// `UIRef`: a reference to an authored `UI`, or to one of WiX's dialog sets.
pub(super) fn ui_ref(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req("Id")?.to_string();
    a.finish()?;
    wixui_reference(p, el, &id)
}

/// A reference to one of WiX's standard dialog sets (WixUI_Minimal, WixUI_FeatureTree, ...).
/// svcpack's compiler does not carry WiX's dialog library: the package still installs,
/// with Windows Installer's basic UI, and the user is told so. Anything else is an error.
fn wixui_reference(p: &mut Parser, el: &Element, id: &str) -> Result<()> {
    if !id.starts_with("WixUI_") {
        if el.ns.is_util() {
            return Err(WixError::new(
                el.loc.clone(),
                format!(
                    "{}: `{id}` is not one of WiX's dialog sets (WixUI_*)",
                    el.display_name()
                ),
            ));
        }
        // A `UI` the sources author themselves.
        p.sec().reference(UI_SYMBOL, id, &el.loc);
        return Ok(());
    }
    p.warnings.push(crate::Warning {
        location: el.loc.clone(),
        message: format!(
            "the WixUI dialog set `{id}` is not built by svcpack's native compiler; the package installs with Windows Installer's basic UI (progress only)"
        ),
    });
    Ok(())
}

/// `UI` in a Product/Package/Fragment.
pub fn ui(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    a.finish()?;
    for child in &el.children {
        ui_child(p, el, child)?;
    }
    if let Some(id) = id {
        p.sec().groups.push(Reference {
            table: UI_SYMBOL,
            id,
            loc: el.loc.clone(),
        });
    }
    Ok(())
}

fn ui_child(p: &mut Parser, parent: &Element, el: &Element) -> Result<()> {
    if el.ns == crate::xml::Namespace::Ui4 && el.name == "WixUI" {
        return wixui(p, el);
    }
    if el.ns.is_util() {
        return Err(unexpected(parent, el));
    }
    match el.name.as_str() {
        "Dialog" => dialog(p, el),
        "DialogRef" => {
            let mut a = Attrs::new(el);
            let id = a.req_id("Id")?;
            a.finish()?;
            no_children(el)?;
            p.sec().reference("Dialog", id, &el.loc);
            Ok(())
        }
        "Publish" => {
            let mut order = 0;
            publish(p, el, None, &mut order)
        }
        "TextStyle" => text_style(p, el),
        "UIText" => ui_text(p, el),
        "ProgressText" => progress_text(p, el),
        "Error" => error(p, el),
        "ComboBox" | "ListBox" | "ListView" => control_group(p, el),
        "RadioButtonGroup" => radio_group(p, el, None).map(|_| ()),
        // "available identically under the UI and Product elements for document
        // organization" (WiX's compiler): the package handles them the same here.
        "AdminUISequence" | "InstallUISequence" => super::actions::sequence(p, el),
        "Binary" => stream(p, el, "Binary"),
        "Property" => property::property(p, el),
        "PropertyRef" => simple_ref(p, el, "Property"),
        "UIRef" => ui_ref(p, el),
        "BillboardAction" | "EmbeddedUI" => Err(super::unsupported(
            el,
            "billboards and embedded UI are not supported by svcpack's native compiler",
        )),
        _ => Err(unexpected(parent, el)),
    }
}

/// Text that v3 authors as element content and v4 as an attribute.
fn text_or_attr<'e>(
    p: &Parser,
    a: &mut Attrs<'e>,
    el: &'e Element,
    attr: &'static str,
) -> Option<String> {
    if p.v4() {
        a.opt(attr).map(str::to_string)
    } else {
        // v3 allows the attribute on some elements too (Error has none; ProgressText has
        // Template only), so content wins and the attribute is accepted where WiX had it.
        (!el.text.is_empty()).then(|| el.text.clone())
    }
}

fn error(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a
        .int_range("Id", 0, 32767)?
        .ok_or_else(|| a.err("missing required attribute `Id`"))?;
    let message = text_or_attr(p, &mut a, el, "Message");
    a.finish()?;
    no_children(el)?;
    p.sec()
        .row("Error", &el.loc, vec![id.into(), Val::opt_str(message)]);
    Ok(())
}

fn progress_text(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let action = a.req("Action")?.to_string();
    let message = text_or_attr(p, &mut a, el, "Message");
    let template = a.opt("Template").map(str::to_string);
    a.finish()?;
    no_children(el)?;
    p.sec().row(
        "ActionText",
        &el.loc,
        vec![action.into(), Val::opt_str(message), Val::opt_str(template)],
    );
    Ok(())
}

fn ui_text(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let text = text_or_attr(p, &mut a, el, "Value");
    a.finish()?;
    no_children(el)?;
    let id = match id {
        Some(id) => id,
        None => p.gen_id("txt", &[text.as_deref()]),
    };
    p.sec()
        .row("UIText", &el.loc, vec![id.into(), Val::opt_str(text)]);
    Ok(())
}

fn text_style(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let face = a.req("FaceName")?.to_string();
    let size = a.int_range("Size", 0, i64::from(i16::MAX))?.unwrap_or(0);
    let red = a.int_range("Red", 0, 255)?;
    let green = a.int_range("Green", 0, 255)?;
    let blue = a.int_range("Blue", 0, 255)?;
    let mut bits = 0;
    for (name, bit) in [("Bold", 1), ("Italic", 2), ("Underline", 4), ("Strike", 8)] {
        if a.flag(name)? {
            bits |= bit;
        }
    }
    a.finish()?;
    no_children(el)?;
    // The MSI's COLORREF: null unless a component was authored (TextStyle table docs,
    // https://learn.microsoft.com/windows/win32/msi/textstyle-table).
    let color = (red.is_some() || green.is_some() || blue.is_some())
        .then(|| red.unwrap_or(0) + green.unwrap_or(0) * 256 + blue.unwrap_or(0) * 65536);
    p.sec().row(
        "TextStyle",
        &el.loc,
        vec![
            id.into(),
            face.into(),
            size.into(),
            Val::opt_int(color),
            Val::opt_int((bits != 0).then_some(bits)),
        ],
    );
    Ok(())
}

/// The tab-order facts of one dialog while its controls are parsed.
#[derive(Default)]
struct TabOrder {
    /// Index (into the section's rows) of the last tabbable Control row.
    last: Option<usize>,
    first: Option<String>,
    default: Option<String>,
    cancel: Option<String>,
}

fn dialog(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let width = a.int_range("Width", 0, i64::from(i16::MAX))?.unwrap_or(0);
    let height = a.int_range("Height", 0, i64::from(i16::MAX))?.unwrap_or(0);
    let x = a.int_range("X", 0, 100)?.unwrap_or(50);
    let y = a.int_range("Y", 0, 100)?.unwrap_or(50);
    let title = a.opt("Title").map(str::to_string);
    // msidbDialogAttributes (https://learn.microsoft.com/windows/win32/msi/dialog-style-bits).
    let attributes = a.flag_bits(
        &[("Hidden", 1), ("Modeless", 2), ("NoMinimize", 4)],
        &[
            ("SystemModal", 8),
            ("KeepModeless", 16),
            ("TrackDiskSpace", 32),
            ("CustomPalette", 64),
            ("RightToLeft", 128),
            ("RightAligned", 256),
            ("LeftScroll", 512),
            ("ErrorDialog", 65536),
        ],
    )?;
    a.finish()?;
    let mut tabs = TabOrder::default();
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Control") => control(p, child, &id, &mut tabs)?,
            _ => return Err(unexpected(el, child)),
        }
    }
    // The tab order is a ring: the last tabbable control leads back to the first.
    if let (Some(last), Some(first)) = (tabs.last, tabs.first.as_ref()) {
        let row = &mut p.sec().rows[last];
        if row.values[1].as_str() != Some(first) {
            row.values[10] = first.as_str().into();
        }
    }
    let Some(first) = tabs.first else {
        return Err(WixError::new(
            el.loc.clone(),
            format!(
                "Dialog `{id}` has no control that takes the focus; at least one Control must be \
                 tabbable (WiX requires a first control)"
            ),
        ));
    };
    p.sec().row(
        "Dialog",
        &el.loc,
        vec![
            id.into(),
            x.into(),
            y.into(),
            width.into(),
            height.into(),
            attributes.into(),
            Val::opt_str(title),
            first.into(),
            Val::opt_str(tabs.default),
            Val::opt_str(tabs.cancel),
        ],
    );
    Ok(())
}

/// Per control type: the type-specific attribute names, bit 16 upwards (WiX's
/// `*ControlAttributes` arrays; https://learn.microsoft.com/windows/win32/msi/control-attributes),
/// whether the control is left out of the tab order and whether it starts disabled.
fn control_kind(kind: &str) -> Option<(&'static [Option<&'static str>], bool, bool)> {
    const TEXT: &[Option<&str>] = &[
        Some("Transparent"),
        Some("NoPrefix"),
        Some("NoWrap"),
        Some("FormatSize"),
        Some("UserLanguage"),
    ];
    const HYPERLINK: &[Option<&str>] = &[Some("Transparent")];
    const EDIT: &[Option<&str>] = &[Some("Multiline"), None, None, None, None, Some("Password")];
    const PROGRESS: &[Option<&str>] = &[Some("ProgressBlocks")];
    const VOLUME: &[Option<&str>] = &[
        Some("Removable"),
        Some("Fixed"),
        Some("Remote"),
        Some("CDROM"),
        Some("RAMDisk"),
        Some("Floppy"),
        Some("ShowRollbackCost"),
    ];
    const LISTBOX: &[Option<&str>] = &[Some("Sorted"), None, None, None, Some("UserLanguage")];
    const LISTVIEW: &[Option<&str>] = &[
        Some("Sorted"),
        None,
        None,
        None,
        Some("FixedSize"),
        Some("Icon16"),
        Some("Icon32"),
    ];
    const COMBOBOX: &[Option<&str>] = &[
        Some("Sorted"),
        Some("ComboList"),
        None,
        None,
        Some("UserLanguage"),
    ];
    const RADIO: &[Option<&str>] = &[
        Some("Image"),
        Some("PushLike"),
        Some("Bitmap"),
        Some("Icon"),
        Some("FixedSize"),
        Some("Icon16"),
        Some("Icon32"),
        None,
        Some("HasBorder"),
    ];
    const BUTTON: &[Option<&str>] = &[
        Some("Image"),
        None,
        Some("Bitmap"),
        Some("Icon"),
        Some("FixedSize"),
        Some("Icon16"),
        Some("Icon32"),
        Some("ElevationShield"),
    ];
    const ICON: &[Option<&str>] = &[
        Some("Image"),
        None,
        None,
        None,
        Some("FixedSize"),
        Some("Icon16"),
        Some("Icon32"),
    ];
    const BITMAP: &[Option<&str>] = &[Some("Image"), None, None, None, Some("FixedSize")];
    const CHECKBOX: &[Option<&str>] = &[
        None,
        Some("PushLike"),
        Some("Bitmap"),
        Some("Icon"),
        Some("FixedSize"),
        Some("Icon16"),
        Some("Icon32"),
    ];
    const NONE: &[Option<&str>] = &[];
    Some(match kind {
        "Billboard" => (NONE, true, true),
        "Bitmap" => (BITMAP, true, true),
        "CheckBox" => (CHECKBOX, false, false),
        "ComboBox" => (COMBOBOX, false, false),
        "DirectoryCombo" => (VOLUME, false, false),
        "DirectoryList" => (NONE, false, false),
        "Edit" | "MaskedEdit" | "PathEdit" => (EDIT, false, false),
        "GroupBox" => (NONE, true, false),
        "Hyperlink" => (HYPERLINK, false, false),
        "Icon" => (ICON, true, true),
        "Line" => (NONE, true, true),
        "ListBox" => (LISTBOX, false, false),
        "ListView" => (LISTVIEW, false, false),
        "ProgressBar" => (PROGRESS, true, true),
        "PushButton" => (BUTTON, false, false),
        "RadioButtonGroup" => (RADIO, false, false),
        "ScrollableText" | "SelectionTree" => (NONE, false, false),
        "Text" => (TEXT, true, false),
        "VolumeCostList" => (VOLUME, true, false),
        "VolumeSelectCombo" => (VOLUME, false, false),
        _ => return None,
    })
}

/// The required `X`, `Y`, `Width` and `Height` of a control or radio button, in dialog
/// units (the Control and RadioButton columns are 16-bit).
fn rectangle(a: &mut Attrs) -> Result<[i32; 4]> {
    let mut out = [0; 4];
    for (v, name) in out.iter_mut().zip(["X", "Y", "Width", "Height"]) {
        *v = a
            .int_range(name, 0, i64::from(i16::MAX))?
            .ok_or_else(|| a.err(format!("missing required attribute `{name}`")))?;
    }
    Ok(out)
}

const CONTROL_TYPES: &str =
    "Billboard, Bitmap, CheckBox, ComboBox, DirectoryCombo, DirectoryList, Edit, \
     GroupBox, Hyperlink, Icon, Line, ListBox, ListView, MaskedEdit, PathEdit, ProgressBar, \
     PushButton, RadioButtonGroup, ScrollableText, SelectionTree, Text, VolumeCostList, \
     VolumeSelectCombo";

/// `Control` in the dialog `dialog`: its Control row (with CheckBox and ControlCondition
/// rows), the elements nested in it, and its place in the dialog's tab order.
fn control(p: &mut Parser, el: &Element, dialog: &str, tabs: &mut TabOrder) -> Result<()> {
    let mut ctl = ControlAttrs::read(p, el, dialog)?;
    let nested = ctl.children(p, el)?;
    ctl.check_box(p, el)?;
    let row_index = ctl.rows(p, el, dialog);
    nested_in_control(p, el, dialog, &ctl.id, nested)?;
    tabs.add(p, &ctl, row_index);
    ctl.binary_reference(p, el);
    Ok(())
}

/// The ControlCondition actions: for each, WiX v4's `Control` attribute and WiX v3's
/// `Condition/@Action` value.
const CONDITION_ACTIONS: [(&str, &str, &str); 5] = [
    ("DefaultCondition", "default", "Default"),
    ("EnableCondition", "enable", "Enable"),
    ("DisableCondition", "disable", "Disable"),
    ("HideCondition", "hide", "Hide"),
    ("ShowCondition", "show", "Show"),
];

/// A `Control` element's attributes, and what its `Text`, `Condition` and
/// `RadioButtonGroup` children add.
struct ControlAttrs {
    kind: String,
    id: String,
    rectangle: [i32; 4],
    /// The Control row's attribute bits.
    attributes: i32,
    not_tabbable: bool,
    is_cancel: bool,
    is_default: bool,
    checkbox_ref: Option<String>,
    checkbox_value: Option<String>,
    property: Option<String>,
    text: Option<String>,
    tooltip: Option<String>,
    help: Option<String>,
    /// (action, condition) ControlCondition rows.
    conditions: Vec<(&'static str, String)>,
}

impl ControlAttrs {
    /// Reads a `Control`'s attributes; an omitted `Id` is generated from the dialog and the
    /// control's rectangle, as WiX does.
    fn read(p: &Parser, el: &Element, dialog: &str) -> Result<Self> {
        let mut a = Attrs::new(el);
        let kind = a.req("Type")?.to_string();
        let Some((special, mut not_tabbable, mut disabled)) = control_kind(&kind) else {
            return Err(a.err(format!(
                "attribute `Type` is `{kind}`; allowed: {CONTROL_TYPES}"
            )));
        };
        let rectangle = rectangle(&mut a)?;
        let id = match a.id("Id")? {
            Some(id) => id,
            None => generated_control_id(p, dialog, rectangle),
        };
        let is_cancel = a.flag("Cancel")?;
        let is_default = a.flag("Default")?;
        let checkbox_ref = a.opt("CheckBoxPropertyRef").map(str::to_string);
        let checkbox_value = a.opt("CheckBoxValue").map(str::to_string);
        let property = a.opt("Property").map(str::to_string);
        let text = a.opt("Text").map(str::to_string);
        let tooltip = a.opt("ToolTip").map(str::to_string);
        let help = a.opt("Help").map(str::to_string);
        if let Some(skip) = a.yesno("TabSkip")? {
            not_tabbable = skip;
        }
        if let Some(d) = a.yesno("Disabled")? {
            disabled = d;
        }
        let mut attributes = style_bits(&mut a, &kind, special)?;
        let conditions = if p.v4() {
            condition_attributes(&mut a)
        } else {
            Vec::new()
        };
        a.finish()?;
        if !disabled {
            attributes |= 2;
        }
        Ok(ControlAttrs {
            kind,
            id,
            rectangle,
            attributes,
            not_tabbable,
            is_cancel,
            is_default,
            checkbox_ref,
            checkbox_value,
            property,
            text,
            tooltip,
            help,
            conditions,
        })
    }

    /// The children that change the Control row itself (`Text`, a v3 `Condition`,
    /// `RadioButtonGroup`); returns the others, parsed once the row exists.
    fn children<'e>(&mut self, p: &mut Parser, el: &'e Element) -> Result<Vec<&'e Element>> {
        let mut radio_kind = None;
        let mut nested: Vec<&Element> = Vec::new();
        for child in &el.children {
            if child.ns.is_util() {
                return Err(unexpected(el, child));
            }
            match child.name.as_str() {
                "Text" => {
                    let value = control_text(child)?;
                    self.text =
                        value.or_else(|| (!child.text.is_empty()).then(|| child.text.clone()));
                }
                "Condition" if !p.v4() => self.conditions.push(v3_condition(child)?),
                "RadioButtonGroup" => {
                    radio_kind = radio_group(p, child, self.property.as_deref())?;
                }
                "Publish" | "Subscribe" | "Binary" | "Property" | "ComboBox" | "ListBox"
                | "ListView" => nested.push(child),
                _ => return Err(unexpected(el, child)),
            }
        }
        // Radio buttons drawn as pictures set the group's picture bit
        // (msidbControlAttributesBitmap / Icon).
        match radio_kind {
            Some(RadioKind::Bitmap) => self.attributes |= 0x0004_0000,
            Some(RadioKind::Icon) => self.attributes |= 0x0008_0000,
            _ => {}
        }
        Ok(nested)
    }

    /// A `CheckBox` control's property: its CheckBox row (`Property`), or a reference to a
    /// property another control's CheckBox row defines (`CheckBoxPropertyRef`).
    fn check_box(&self, p: &mut Parser, el: &Element) -> Result<()> {
        if self.kind != "CheckBox" {
            return Ok(());
        }
        match (&self.property, &self.checkbox_ref) {
            (None, None) => Err(WixError::new(
                el.loc.clone(),
                "Control: a CheckBox needs `Property` or `CheckBoxPropertyRef`",
            )),
            (Some(_), Some(_)) => Err(WixError::new(
                el.loc.clone(),
                "Control: `Property` and `CheckBoxPropertyRef` cannot both be set",
            )),
            (Some(prop), None) => {
                p.sec().row(
                    "CheckBox",
                    &el.loc,
                    vec![
                        prop.as_str().into(),
                        Val::opt_str(self.checkbox_value.clone()),
                    ],
                );
                Ok(())
            }
            (None, Some(r)) => {
                p.sec().reference("Property", r.clone(), &el.loc);
                Ok(())
            }
        }
    }

    /// The Control row and the control's ControlCondition rows; returns the Control row's
    /// index in the section, where the tab order later fills in `Control_Next`.
    fn rows(&self, p: &mut Parser, el: &Element, dialog: &str) -> usize {
        let help = (self.tooltip.is_some() || self.help.is_some()).then(|| {
            format!(
                "{}|{}",
                self.tooltip.as_deref().unwrap_or_default(),
                self.help.as_deref().unwrap_or_default()
            )
        });
        let [x, y, width, height] = self.rectangle;
        let row_index = p.sec().rows.len();
        p.sec().row(
            "Control",
            &el.loc,
            vec![
                dialog.into(),
                self.id.as_str().into(),
                self.kind.as_str().into(),
                x.into(),
                y.into(),
                width.into(),
                height.into(),
                self.attributes.into(),
                Val::opt_str(self.property.clone().or_else(|| self.checkbox_ref.clone())),
                Val::opt_str(self.text.clone()),
                Val::Null,
                Val::opt_str(help),
            ],
        );
        for (action, condition) in &self.conditions {
            p.sec().row(
                "ControlCondition",
                &el.loc,
                vec![
                    dialog.into(),
                    self.id.as_str().into(),
                    (*action).into(),
                    condition.as_str().into(),
                ],
            );
        }
        row_index
    }

    /// A Bitmap or Icon control's Text names a Binary row.
    fn binary_reference(&self, p: &mut Parser, el: &Element) {
        if matches!(self.kind.as_str(), "Bitmap" | "Icon") {
            if let Some(t) = self
                .text
                .clone()
                .filter(|t| super::check_identifier(t, "Text", &el.loc).is_ok())
            {
                p.sec().reference("Binary", t, &el.loc);
            }
        }
    }
}

impl TabOrder {
    /// Puts a control in the tab order (after the last tabbable one) unless it is left
    /// out, and records the dialog's cancel and default controls.
    fn add(&mut self, p: &mut Parser, ctl: &ControlAttrs, row_index: usize) {
        if !ctl.not_tabbable {
            if let Some(last) = self.last {
                p.sec().rows[last].values[10] = ctl.id.as_str().into();
            }
            self.last = Some(row_index);
            self.first.get_or_insert_with(|| ctl.id.clone());
        }
        if ctl.is_cancel {
            self.cancel = Some(ctl.id.clone());
        }
        if ctl.is_default {
            self.default = Some(ctl.id.clone());
        }
    }
}

/// The id WiX generates for a `Control` without one, from its dialog and rectangle.
fn generated_control_id(p: &Parser, dialog: &str, rectangle: [i32; 4]) -> String {
    let [x, y, width, height] = rectangle;
    let (xs, ys, hs, ws) = (
        x.to_string(),
        y.to_string(),
        height.to_string(),
        width.to_string(),
    );
    p.gen_id(
        "ctl",
        &[Some(dialog), Some(&xs), Some(&ys), Some(&hs), Some(&ws)],
    )
}

/// A control's style bits from its yes/no attributes: the common ones, those of its type
/// (`special`, bit 16 upwards) and `IconSize`.
fn style_bits(a: &mut Attrs, kind: &str, special: &[Option<&'static str>]) -> Result<i32> {
    // The common bits (https://learn.microsoft.com/windows/win32/msi/control-attributes).
    let mut attributes = a.flag_bits(
        &[("Hidden", 1)],
        &[
            ("Sunken", 4),
            ("Indirect", 8),
            ("Integer", 16),
            ("RightToLeft", 32),
            ("RightAligned", 64),
            ("LeftScroll", 128),
        ],
    )?;
    // The bits from 16 up mean something else for each control type.
    let typed: Vec<(&'static str, i32)> = special
        .iter()
        .enumerate()
        .filter_map(|(i, name)| name.map(|n| (n, 1 << (16 + i))))
        .collect();
    attributes |= a.flag_bits(&[], &typed)?;
    if let Some(size) = a.choice("IconSize", &["16", "32", "48", ""])? {
        let pos = |n: &str| special.iter().position(|s| *s == Some(n));
        let (i16b, i32b) = (pos("Icon16"), pos("Icon32"));
        if i16b.is_none() {
            return Err(a.err(format!("`IconSize` does not apply to a {kind} control")));
        }
        for (want, bit) in [("16", i16b), ("32", i32b), ("48", i16b), ("48", i32b)] {
            if size == want {
                if let Some(b) = bit {
                    attributes |= 1 << (16 + b);
                }
            }
        }
    }
    Ok(attributes)
}

/// WiX v4's condition attributes of a `Control` (`EnableCondition`, ...); empty ones are
/// left out.
fn condition_attributes(a: &mut Attrs) -> Vec<(&'static str, String)> {
    let mut conditions = Vec::new();
    for (attr, _, action) in CONDITION_ACTIONS {
        if let Some(c) = a.opt(attr).filter(|c| !c.is_empty()) {
            conditions.push((action, c.to_string()));
        }
    }
    conditions
}

/// A WiX v3 `Condition` under a `Control`: its action and condition.
fn v3_condition(el: &Element) -> Result<(&'static str, String)> {
    let mut c = Attrs::new(el);
    let allowed: Vec<&'static str> = CONDITION_ACTIONS.iter().map(|(_, v3, _)| *v3).collect();
    let action = c.choice("Action", &allowed)?;
    c.finish()?;
    let Some(&(_, _, action)) = CONDITION_ACTIONS
        .iter()
        .find(|(_, v3, _)| Some(*v3) == action)
    else {
        return Err(c.err("missing required attribute `Action`"));
    };
    Ok((action, super::condition_text(el)?))
}

/// A `Text` under a `Control`: its `Value` (None: the element's text stands).
fn control_text(el: &Element) -> Result<Option<String>> {
    let mut c = Attrs::new(el);
    if c.opt("SourceFile").is_some() {
        return Err(super::unsupported(
            el,
            "control text from a file (`SourceFile`) is not supported",
        ));
    }
    let value = c.opt("Value").map(str::to_string);
    c.finish()?;
    no_children(el)?;
    Ok(value)
}

/// The elements a `Control` may hold besides its text and conditions: Publish and Subscribe
/// (ControlEvent, EventMapping), list items, and (Compiler_UI.cs ParseControlElement) a
/// Binary or a Property.
fn nested_in_control(
    p: &mut Parser,
    el: &Element,
    dialog: &str,
    id: &str,
    nested: Vec<&Element>,
) -> Result<()> {
    let mut publish_order = 0;
    for child in nested {
        match child.name.as_str() {
            "Publish" => publish(p, child, Some((dialog, id)), &mut publish_order)?,
            "Subscribe" => subscribe(p, child, dialog, id)?,
            "ComboBox" | "ListBox" | "ListView" => control_group(p, child)?,
            "Binary" if !child.ns.is_util() => stream(p, child, "Binary")?,
            "Property" if !child.ns.is_util() => property::property(p, child)?,
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(())
}

/// `Publish`: one ControlEvent row. `owner` is the enclosing (dialog, control); outside a
/// Control the element names them itself.
fn publish(
    p: &mut Parser,
    el: &Element,
    owner: Option<(&str, &str)>,
    order: &mut i32,
) -> Result<()> {
    let mut a = Attrs::new(el);
    *order += 1;
    let mut dialog = owner.map(|o| o.0.to_string());
    let mut control = owner.map(|o| o.1.to_string());
    for (attr, slot) in [("Dialog", &mut dialog), ("Control", &mut control)] {
        if let Some(v) = a.id(attr)? {
            if owner.is_some() {
                return Err(a.err(format!(
                    "`{attr}` cannot be set on a Publish nested in a Control"
                )));
            }
            *slot = Some(v);
        }
    }
    let event = a.opt("Event").map(upper_first);
    let property = a.opt("Property").map(|v| format!("[{v}]"));
    let mut argument = a.opt("Value").map(str::to_string);
    if let Some(o) = a.int_range("Order", 0, i64::from(i32::MAX))? {
        *order = o;
    }
    let condition = if p.v4() {
        a.opt("Condition").map(str::to_string)
    } else {
        (!el.text.is_empty()).then(|| el.text.clone())
    };
    a.finish()?;
    no_children(el)?;
    let (Some(dialog), Some(control)) = (dialog, control) else {
        return Err(a.err("needs `Dialog` and `Control` (or to be nested in a Control)"));
    };
    let event = match (event, property) {
        (Some(_), Some(_)) => return Err(a.err("`Event` and `Property` cannot both be set")),
        (None, None) => return Err(a.err("needs `Event` or `Property`")),
        (Some(e), None) => {
            if argument.is_none() {
                return Err(a.err("`Value` is required with `Event`"));
            }
            e
        }
        (None, Some(prop)) => {
            // Setting a property to nothing is spelled `{}` in the Argument column.
            argument.get_or_insert_with(|| "{}".to_string());
            prop
        }
    };
    p.sec().row(
        "ControlEvent",
        &el.loc,
        vec![
            dialog.into(),
            control.into(),
            event.into(),
            Val::opt_str(argument),
            Val::opt_str(condition),
            (*order).into(),
        ],
    );
    Ok(())
}

fn subscribe(p: &mut Parser, el: &Element, dialog: &str, control: &str) -> Result<()> {
    let mut a = Attrs::new(el);
    let event = upper_first(&a.req_id("Event")?);
    let attribute = upper_first(&a.req_id("Attribute")?);
    a.finish()?;
    no_children(el)?;
    p.sec().row(
        "EventMapping",
        &el.loc,
        vec![
            dialog.into(),
            control.into(),
            event.into(),
            attribute.into(),
        ],
    );
    Ok(())
}

/// `ComboBox`/`ListBox`/`ListView` with `ListItem`s: rows of the table of that name.
fn control_group(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let property = a.req_id("Property")?;
    a.finish()?;
    let table: &'static str = match el.name.as_str() {
        "ComboBox" => "ComboBox",
        "ListBox" => "ListBox",
        _ => "ListView",
    };
    let mut order = 0;
    for item in &el.children {
        match (item.ns.is_util(), item.name.as_str()) {
            (false, "ListItem") => {
                let mut c = Attrs::new(item);
                let value = c.req("Value")?.to_string();
                let text = c.opt("Text").map(str::to_string);
                let icon = if table == "ListView" {
                    c.id("Icon")?
                } else {
                    None
                };
                c.finish()?;
                no_children(item)?;
                order += 1;
                let mut values = vec![
                    property.as_str().into(),
                    order.into(),
                    value.into(),
                    Val::opt_str(text),
                ];
                if table == "ListView" {
                    if let Some(i) = &icon {
                        p.sec().reference("Binary", i.clone(), &item.loc);
                    }
                    values.push(Val::opt_str(icon));
                }
                p.sec().row(table, &item.loc, values);
            }
            (false, "Property") => property::property(p, item)?,
            _ => return Err(unexpected(el, item)),
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RadioKind {
    Text,
    Bitmap,
    Icon,
}

/// `RadioButtonGroup`: RadioButton rows; returns how the buttons are drawn.
fn radio_group(p: &mut Parser, el: &Element, property: Option<&str>) -> Result<Option<RadioKind>> {
    let mut a = Attrs::new(el);
    let own = a.id("Property")?;
    a.finish()?;
    if let Some(own) = &own {
        p.sec().reference("Property", own.clone(), &el.loc);
    }
    let Some(property) = own.or_else(|| property.map(str::to_string)) else {
        return Err(a.err("missing required attribute `Property`"));
    };
    let mut kind = None;
    let mut order = 0;
    for b in &el.children {
        if b.ns.is_util() || b.name != "RadioButton" {
            return Err(unexpected(el, b));
        }
        let mut c = Attrs::new(b);
        let value = c.req("Value")?.to_string();
        let [x, y, width, height] = rectangle(&mut c)?;
        let tooltip = c.opt("ToolTip").map(str::to_string);
        let help = c.opt("Help").map(str::to_string);
        let mut this = None;
        let mut text = None;
        for (attr, k) in [
            ("Text", RadioKind::Text),
            ("Bitmap", RadioKind::Bitmap),
            ("Icon", RadioKind::Icon),
        ] {
            if let Some(v) = c.opt(attr) {
                if this.is_some() {
                    return Err(c.err("only one of `Text`, `Bitmap` and `Icon` may be set"));
                }
                if k != RadioKind::Text {
                    super::check_identifier(v, attr, &b.loc)?;
                    p.sec().reference("Binary", v.to_string(), &b.loc);
                }
                this = Some(k);
                text = Some(v.to_string());
            }
        }
        c.finish()?;
        no_children(b)?;
        if let Some(t) = this {
            match kind {
                None => kind = Some(t),
                Some(k) if k != t => {
                    return Err(c.err(
                        "all RadioButtons of a group must be drawn alike (Text, Bitmap or Icon)",
                    ))
                }
                _ => {}
            }
        }
        order += 1;
        let help = (tooltip.is_some() || help.is_some()).then(|| {
            format!(
                "{}|{}",
                tooltip.unwrap_or_default(),
                help.unwrap_or_default()
            )
        });
        p.sec().row(
            "RadioButton",
            &b.loc,
            vec![
                property.as_str().into(),
                order.into(),
                value.into(),
                x.into(),
                y.into(),
                width.into(),
                height.into(),
                Val::opt_str(text),
                Val::opt_str(help),
            ],
        );
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use crate::{compile, CompileOptions, Compiled};

    fn build(ui: &str) -> crate::Result<Compiled> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wxs");
        std::fs::write(
            &path,
            format!(
                "<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\"><Product Id=\"*\" Name=\"T\" \
                 Language=\"1033\" Version=\"1.0.0\" Manufacturer=\"M\" \
                 UpgradeCode=\"9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82\"><Package Compressed=\"yes\"/>\n{ui}\n</Product></Wix>"
            ),
        )
        .unwrap();
        let mut opts = CompileOptions::new("x86");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&[path], &opts)
    }

    use crate::test_support::lines as rows;

    #[test]
    fn v3_dialog_with_conditions_events_and_tab_order() {
        let c = build(
            r#"<UI Id="Custom">
  <Property Id="MODE" Value="a" />
  <TextStyle Id="Bold" FaceName="Tahoma" Size="8" Bold="yes" Red="255" />
  <UIText Id="bytes">bytes</UIText>
  <ProgressText Action="InstallFiles" Template="File: [1]">Copying files</ProgressText>
  <Error Id="25000">Something failed</Error>
  <Dialog Id="ModeDlg" Width="370" Height="270" Title="Mode" NoMinimize="yes">
    <Control Id="Banner" Type="Bitmap" X="0" Y="0" Width="370" Height="44" Text="Banner" />
    <Control Id="Choice" Type="RadioButtonGroup" X="20" Y="60" Width="300" Height="40" Property="MODE">
      <RadioButtonGroup Property="MODE">
        <RadioButton Value="a" X="0" Y="0" Width="300" Height="15" Text="A" />
        <RadioButton Value="b" X="0" Y="20" Width="300" Height="15" Text="B" />
      </RadioButtonGroup>
    </Control>
    <Control Id="Next" Type="PushButton" X="236" Y="243" Width="56" Height="17" Default="yes" Text="Next">
      <Publish Event="EndDialog" Value="Return">MODE = "a"</Publish>
      <Publish Property="MODE">1</Publish>
      <Condition Action="disable">NOT MODE</Condition>
      <Subscribe Event="selectionAction" Attribute="text" />
    </Control>
    <Control Id="Cancel" Type="PushButton" X="304" Y="243" Width="56" Height="17" Cancel="yes" Text="Cancel" />
  </Dialog>
  <Publish Dialog="ExitDialog" Control="Finish" Event="DoAction" Value="Launch">NOT Installed</Publish>
</UI>
<Binary Id="Banner" SourceFile="t.wxs" />
<InstallUISequence><Show Dialog="ModeDlg" After="CostFinalize">NOT Installed</Show></InstallUISequence>
<UIRef Id="Custom" />"#,
        )
        .expect("builds");
        assert_eq!(
            rows(&c, "Dialog"),
            ["ModeDlg\t50\t50\t370\t270\t3\tMode\tChoice\tNext\tCancel"]
        );
        let mut controls = rows(&c, "Control");
        controls.sort();
        assert_eq!(
            controls,
            [
                "ModeDlg\tBanner\tBitmap\t0\t0\t370\t44\t1\t\tBanner\t\t",
                "ModeDlg\tCancel\tPushButton\t304\t243\t56\t17\t3\t\tCancel\tChoice\t",
                "ModeDlg\tChoice\tRadioButtonGroup\t20\t60\t300\t40\t3\tMODE\t\tNext\t",
                "ModeDlg\tNext\tPushButton\t236\t243\t56\t17\t3\t\tNext\tCancel\t",
            ]
        );
        assert_eq!(
            rows(&c, "ControlEvent"),
            [
                "ModeDlg\tNext\tEndDialog\tReturn\tMODE = \"a\"\t1",
                "ModeDlg\tNext\t[MODE]\t{}\t1\t2",
            ]
        );
        assert_eq!(
            rows(&c, "ControlCondition"),
            ["ModeDlg\tNext\tDisable\tNOT MODE"]
        );
        assert_eq!(
            rows(&c, "EventMapping"),
            ["ModeDlg\tNext\tSelectionAction\tText"]
        );
        assert_eq!(rows(&c, "RadioButton").len(), 2);
        assert_eq!(rows(&c, "TextStyle"), ["Bold\tTahoma\t8\t255\t1"]);
        assert_eq!(rows(&c, "UIText"), ["bytes\tbytes"]);
        assert_eq!(
            rows(&c, "ActionText"),
            ["InstallFiles\tCopying files\tFile: [1]"]
        );
        assert_eq!(rows(&c, "Error"), ["25000\tSomething failed"]);
        assert!(rows(&c, "Property").contains(&"MODE\ta".to_string()));
        assert!(rows(&c, "InstallUISequence")
            .iter()
            .any(|r| r.starts_with("ModeDlg\tNOT Installed\t")));
        // The WixUI dialog customised by the loose Publish is not built: dropped, with a warning.
        assert!(c.warnings.iter().any(|w| w
            .message
            .contains("dialog `ExitDialog` is not part of this package")));
    }

    #[test]
    fn a_dialog_without_a_tabbable_control_is_an_error() {
        let e = build(
            r#"<UI><Dialog Id="D" Width="10" Height="10"><Control Id="T" Type="Text" X="0" Y="0" Width="5" Height="5" Text="t" /></Dialog></UI>"#,
        )
        .err()
        .map(|e| e.message)
        .unwrap_or_default();
        assert!(e.contains("no control that takes the focus"), "{e}");
    }

    #[test]
    fn a_reference_to_an_undefined_ui_is_unresolved() {
        let e = build(r#"<UIRef Id="Missing" />"#)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("unresolved reference to WixUI `Missing`"), "{e}");
    }
}
