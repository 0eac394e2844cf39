// A TypeScript client for a dojang node. Transactions are built and signed here with
// Ed25519 or P-256 (in memory, or a browser's non-extractable WebCrypto key) and are
// byte-identical to the Rust SDK's (docs/transactions.md).

export { concat, fromHex, toHex } from "./bytes.js";
/** SHA-256, for pages that check a module's hash chains (a vehicle's history) without WebCrypto, which plain-HTTP pages lack. */
export { sha256 } from "@noble/hashes/sha2";
export { Ed25519Signer, P256Signer, PublicKey, WebCryptoP256Signer, keyFileSigner, precomputeVerification, verifySignature } from "./keys.js";
export type { Algorithm, Signer } from "./keys.js";
export { MAX_TX_BYTES, TX_DOMAIN, TxBuilder, encodeBody, signTx, signingBytes, txId } from "./tx.js";
export type { ModuleMessage, SignedTx, TxBody } from "./tx.js";
export { Client, NotFinalError, ProblemError, RefusedError } from "./client.js";
export type { Receipt, Submitted } from "./client.js";
export { DecodeError } from "./reader.js";
export { ProofError, decodeStateProof, verifyStateProof } from "./proof.js";
export type { StateLeaf, StateProof } from "./proof.js";
export {
  CommitError,
  MalformedError,
  addressBytes,
  decodeValidators,
  encodeHeader,
  encodeValidators,
  headerHash,
  merkleRoot,
  precommitSignBytes,
  validatorsHash,
  verifyCommit,
} from "./header.js";
export type { BlockHeader, Commit, CommitCheck, CommitSignature, Validator } from "./header.js";
export { DEFAULT_MAX_AGE_MS, TrustedChain, VALIDATORS_KEY, VerifiedReader, VerifyError } from "./trust.js";
export type { PinnedSet, Verified, VerifiedBlock } from "./trust.js";
export { parseEvents } from "./events.js";
export type { BlockEvent, ChainEvent, LaggedEvent } from "./events.js";
export { Anchor, Collections, Eligibility, Governance, Identity } from "./modules.js";
export type { AccountView, RoleGrant } from "./modules.js";
export { checkInclusion, decodeTx, receiptCommitment, rootFromPath } from "./inclusion.js";
export type { MerkleStep, ProvenTx, ReceiptJson } from "./inclusion.js";
export { CredentialError, b64url, disclose, jwkOf, keyOfJwk, parseJws, parseSdJwt, unb64url, verifyJws } from "./sdjwt.js";
export type { Jwk, Jws, RevealedPath, SdJwt } from "./sdjwt.js";
export { checkIssued, parseOffer, receiveCredential } from "./credentials.js";
export type { Issued, Received } from "./credentials.js";
export { FORMAT, checkWithin, parseDcql, pathText, sameJson } from "./dcql.js";
export type { ClaimQuery, CredentialQuery, DcqlQuery, PathElement } from "./dcql.js";
export {
  KB_JWT_TYP,
  MAX_CLOCK_SKEW,
  MAX_REQUEST_LIFETIME,
  REQUEST_TYP,
  bindPresentation,
  checkResponseUri,
  checkSignedRequest,
  fetchRequest,
  selectDisclosures,
  submitPresentation,
} from "./presentation.js";
export type { OfficeAnswer, PolicyRecord, Selection, VerifiedRequest } from "./presentation.js";
export { ReceiptError, checkDecisionReceipt, decisionBytes } from "./decision.js";
export type { CheckedReceipt } from "./decision.js";
export { MAX_ANSWER_BYTES, REQUEST_TIMEOUT_MS, answerJson, answerText, fetcherOf } from "./http.js";
export type { FetchOptions } from "./http.js";
export { STATUS_LIST_TYP, checkStatus, readStatusToken, statusAnchorKey } from "./status.js";
export type { CredentialStatus, StatusCheck } from "./status.js";
export { COPY_KIND, CopyError, collectionCommitment, confirmMessage, copyAgainstLedger, minutesWorked, openWorkerCopy, signMessage, weekAgainstLedger } from "./labour.js";
export type { CopyVersion, CopyWeek, LedgerContract, LedgerWeek, VersionState, WeekState, WorkDay, WorkerCopy } from "./labour.js";
export { BlindRsaError, blind, blindedDigest, registrarKey, resumeBlinded, verifyToken } from "./blindrsa.js";
export type { Blinded, RsaPublic, VotingToken } from "./blindrsa.js";
export { BallotError, auditBallot, ballotContext, credentialMessage, encryptBallot, trackingCode, verifyBallot } from "./voting.js";
export type { AnswerJson, BallotJson, BallotSecrets, BranchJson, CiphertextJson, QuestionShape, RangeProofJson } from "./voting.js";
export { checkDealing, combine, electionKey, judgeComplaint, sumCiphertexts, verificationKey, verifyShare } from "./trustees.js";
export type { ComplaintJson, DealingJson, DecryptionShareJson, DlogEqProofJson, KnowledgeProofJson, SealedShareJson } from "./trustees.js";
export { readPoll } from "./poll-read.js";
export type { BoardJson, OnBoard, PollData, PollJson, ReadOptions, SentBallot, TallyJson } from "./poll-read.js";
export { checkPoll, verifyPoll } from "./poll-verify.js";
export type { PollReport, VerifyOptions } from "./poll-verify.js";

export { DOCUMENT_SIGNATURE, LoginRefused, checkLoginRequest, goesBackTo, submitLogin } from "./login.js";
export type { DocumentToSign, FacilityRecord, LoginRequest } from "./login.js";
