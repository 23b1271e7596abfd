//! Checks on user-supplied text, shared by the HTTP API and the room channel.

use crate::error::ApiError;

/// A display or room name: trimmed, non-empty, at most `max` characters, no
/// control characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max {
        return Err(ApiError::invalid(format!("{field} must be at most {max} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!("{field} must not contain control characters")));
    }
    Ok(trimmed.to_owned())
}

/// Chat or whisper text: at most `max` characters; line breaks and tabs are
/// kept, other control characters refused. Empty text is allowed only when
/// `may_be_empty` (a message carrying a picture).
pub fn text(value: &str, max: usize, may_be_empty: bool) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() && !may_be_empty {
        return Err(ApiError::invalid("message text must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(ApiError::new(
            jigsync_schema::ErrorCode::TooLarge,
            format!("message text is over {max} characters"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid("message text must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jigsync_schema::ErrorCode;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Ada ", 10).unwrap(), "Ada");
        assert_eq!(name("name", "   ", 10).unwrap_err().code, ErrorCode::Invalid);
        assert_eq!(name("name", "ééééééééééé", 10).unwrap_err().code, ErrorCode::Invalid);
        assert!(name("name", "éééééééééé", 10).is_ok());
        assert!(name("name", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn text_keeps_line_breaks_and_refuses_overlong() {
        assert_eq!(text("a\nb", 5, false).unwrap(), "a\nb");
        assert_eq!(text("", 5, false).unwrap_err().code, ErrorCode::Invalid);
        assert_eq!(text("", 5, true).unwrap(), "");
        assert_eq!(text("abcdef", 5, false).unwrap_err().code, ErrorCode::TooLarge);
        assert!(text("a\u{7}", 5, false).is_err());
    }
}
