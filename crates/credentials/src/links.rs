//! Handing a wallet an offer (OpenID4VCI) or a request (OpenID4VP): as a link that opens a
//! web wallet with it (`<wallet>/#/wallet/offer/<offer>`, `<wallet>/#/wallet/request/<link>`),
//! and as a QR code of that link, which a phone's camera opens. Without a web wallet's address
//! the QR code holds the offer or request URI itself, for wallets registered for its scheme.

use dojang_types::percent_encode;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// What a link hands the wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// A credential offer (`openid-credential-offer://…`).
    Offer,
    /// A presentation request (the https URL it is fetched from, or `openid4vp://…`).
    Request,
}

/// The link that opens the web wallet at `wallet_url` with `target`.
pub fn wallet_link(wallet_url: &str, handoff: Handoff, target: &str) -> String {
    let kind = match handoff {
        Handoff::Offer => "offer",
        Handoff::Request => "request",
    };
    format!("{}/#/wallet/{kind}/{}", wallet_url.trim_end_matches('/'), percent_encode(target))
}

/// An `openid4vp://` link for a request fetched from `request_uri` (OpenID4VP 1.0 §5.10).
pub fn request_uri_link(client_id: &str, request_uri: &str) -> String {
    format!("openid4vp://?client_id={}&request_uri={}", percent_encode(client_id), percent_encode(request_uri))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the link does not fit in a QR code ({0}); shorten it")]
pub struct QrError(String);

/// An SVG QR code of `text` (error correction M: a smudged or partly covered code still reads).
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| QrError(e.to_string()))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_target_encoded_once() {
        let offer = "openid-credential-offer://?credential_offer=%7B%22a%22%7D";
        let link = wallet_link("https://wallet.seoul.go.kr/", Handoff::Offer, offer);
        assert_eq!(link, "https://wallet.seoul.go.kr/#/wallet/offer/openid-credential-offer%3A%2F%2F%3Fcredential_offer%3D%257B%2522a%2522%257D");
        let req = wallet_link("https://w.example", Handoff::Request, "https://o.example/programs/p/request");
        assert_eq!(req, "https://w.example/#/wallet/request/https%3A%2F%2Fo.example%2Fprograms%2Fp%2Frequest");
        assert_eq!(
            request_uri_link("did:web:o.example", "https://o.example/r"),
            "openid4vp://?client_id=did%3Aweb%3Ao.example&request_uri=https%3A%2F%2Fo.example%2Fr"
        );
    }

    #[test]
    fn a_qr_code_is_an_svg_large_enough_to_scan() {
        let side =
            |s: &str| s.split("width=\"").nth(1).and_then(|w| w.split('"').next()).and_then(|w| w.parse::<u32>().ok());
        for text in ["https://o.example/r".to_string(), "x".repeat(400)] {
            let svg = qr_svg(&text).unwrap();
            assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
            assert!(side(&svg).is_some_and(|w| w >= 240), "{svg}");
        }
        assert!(qr_svg(&"x".repeat(5000)).is_err(), "beyond a QR code's capacity");
    }
}
