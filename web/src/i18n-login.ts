// Korean and English for the citizen-card login pages (the wallet's answer to a facility's
// login, documents to sign, a guardian's login), merged by i18n.ts.

export const loginEn = {
  "login.title": "Log in with the city wallet",
  "login.explain":
    "A facility's login page sends you here with its request. The wallet checks the request against the chain (the login service's key, the facility's registration and its policy) and shows exactly what the facility will learn before anything is sent.",
  "login.link": "Login request link (openid4vp://…, https://…)",
  "login.open": "Open the login request",
  "login.facility": "Facility",
  "login.registered": "✔ registered by the council; checked against block {h}",
  "login.through": "Through the login service",
  "login.on_behalf": "You are logging in for the person in your care, under your guardian credential.",
  "login.sign_title": "Document to sign",
  "login.sign_note": "Your answer signs this document's SHA-256 hash with the key of your credential: the facility can prove later that you signed it.",
  "login.hash": "SHA-256",
  "login.what": "Exactly what the facility will see",
  "login.pairwise": "The facility sees an identifier made for it alone: two facilities cannot link you.",
  "login.send": "Log in",
  "login.done": "✔ Logged in. Returning to the facility…",
  "login.continue": "Continue to the facility",
  "login.refused": "✘ The login service refused: {why}",
  "login.back": "Back to the facility",
  "history.facility": "Facility",
};

export const loginKo: Record<keyof typeof loginEn, string> = {
  "login.title": "시민 지갑으로 로그인",
  "login.explain":
    "시설의 로그인 페이지가 요청과 함께 이곳으로 보냅니다. 지갑은 요청을 체인과 대조하고(로그인 서비스의 키, 시설의 등록과 정책) 아무것도 보내기 전에 시설이 알게 될 내용을 정확히 보여 줍니다.",
  "login.link": "로그인 요청 링크(openid4vp://…, https://…)",
  "login.open": "로그인 요청 열기",
  "login.facility": "시설",
  "login.registered": "✔ 협의회가 등록함; 블록 {h} 기준으로 확인함",
  "login.through": "로그인 서비스",
  "login.on_behalf": "보호하는 분을 대신하여 보호자 증명서로 로그인합니다.",
  "login.sign_title": "서명할 문서",
  "login.sign_note": "응답은 증명서의 키로 이 문서의 SHA-256 해시에 서명합니다. 시설은 나중에 당신이 서명했음을 증명할 수 있습니다.",
  "login.hash": "SHA-256",
  "login.what": "시설이 보게 될 정확한 내용",
  "login.pairwise": "시설은 그 시설만을 위한 식별자를 봅니다. 두 시설은 당신을 연결할 수 없습니다.",
  "login.send": "로그인",
  "login.done": "✔ 로그인했습니다. 시설로 돌아갑니다…",
  "login.continue": "시설로 계속",
  "login.refused": "✘ 로그인 서비스가 거절했습니다: {why}",
  "login.back": "시설로 돌아가기",
  "history.facility": "시설",
};
