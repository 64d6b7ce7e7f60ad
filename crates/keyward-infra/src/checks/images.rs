//! Image references (`image-tag`) and the user a Dockerfile's final stage runs as.

use super::fields::is_root_user;
use super::{Check, Ctx};
use crate::finding::{InfraFinding, Site};

/// The tag of an image reference: `None` when it has none. A registry port
/// (`registry:5000/app`) is not a tag; a digest (`@sha256:…`) pins the image.
pub fn tag(image: &str) -> Tag<'_> {
    if image.contains('@') {
        return Tag::Digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, t)) if !t.is_empty() => Tag::Named(t),
        _ => Tag::Missing,
    }
}

/// What [`tag`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Tag<'a> {
    /// Pinned by digest.
    Digest,
    /// A tag.
    Named(&'a str),
    /// No tag: `latest` is pulled.
    Missing,
}

/// `image-tag`: every image names a tag other than `latest`, or a digest.
pub fn image_tag(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for img in &inv.images {
        // Unresolved variables and templates cannot be judged.
        if img.image.contains('$') || img.image.contains("{{") || img.image.is_empty() {
            continue;
        }
        let message = match tag(&img.image) {
            Tag::Digest => continue,
            Tag::Named(t) if !t.eq_ignore_ascii_case("latest") => continue,
            Tag::Named(_) => format!("image `{}` uses the `latest` tag", img.image),
            Tag::Missing => format!("image `{}` has no tag (pulls `latest`)", img.image),
        };
        ctx.out.push(InfraFinding::new(
            check,
            Site {
                path: img.path.clone(),
                at: (img.line, img.column),
                unit: Some(img.unit),
                object: img.object.clone(),
            },
            message,
            "image",
        ));
    }
}

/// `run-as-non-root` for Dockerfiles: the final stage's effective `USER` (inherited
/// through stage aliases) must exist and not be root. Base images whose tag says
/// `nonroot` (distroless, Chainguard) set a non-root user themselves.
pub fn dockerfile_user(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for df in &inv.dockerfiles {
        let last = df.stages.len() - 1;
        let stage = &df.stages[last];
        let (message, line) = match df.effective_user(last) {
            Some((u, _)) if !is_root_user(u) => continue,
            Some((u, line)) => (format!("the final stage runs as `USER {u}`"), line),
            None => {
                if tag(df.root_image(last)) == Tag::Named("nonroot")
                    || df.root_image(last).contains("nonroot")
                {
                    continue;
                }
                (
                    "the final stage sets no USER (root, unless the base image sets one)"
                        .to_string(),
                    stage.line,
                )
            }
        };
        ctx.out.push(InfraFinding::new(
            check,
            Site {
                path: df.path.clone(),
                at: (line, 1),
                unit: Some(df.unit),
                object: Some(df.object_ref(last)),
            },
            message,
            "USER",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(tag("nginx"), Tag::Missing);
        assert_eq!(tag("nginx:1.27"), Tag::Named("1.27"));
        assert_eq!(tag("registry:5000/team/app"), Tag::Missing);
        assert_eq!(tag("registry:5000/team/app:v2"), Tag::Named("v2"));
        assert_eq!(tag("app@sha256:abcd"), Tag::Digest);
        assert_eq!(tag("ghcr.io/x/app:latest"), Tag::Named("latest"));
    }
}
