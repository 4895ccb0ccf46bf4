/**
 * IP address and CIDR parsing for the `cidr` pattern operator. Addresses are compared as integers:
 * 32 bits for IPv4, 128 for IPv6; the two families never match each other.
 */

/** An IP address as an unsigned integer of its family's width. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A parsed CIDR block: the address before the slash and the number of fixed leading bits. */
export interface CidrBlock extends IpAddress {
  readonly maskBits: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIPv4(text: string): bigint | undefined {
  const parts = IPV4.exec(text);
  if (parts === null) return undefined;
  let value = 0n;
  for (const part of parts.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** The 16-bit groups of one side of `::`; an embedded IPv4 tail is allowed only at the very end. */
function hexGroups(part: string, ipv4TailAllowed: boolean): number[] | undefined {
  if (part === "") return [];
  const pieces = part.split(":");
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (ipv4TailAllowed && index === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseIPv4(piece);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (HEX_GROUP.test(piece)) {
      groups.push(Number.parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [head = "", tail] = halves;
  const left = hexGroups(head, tail === undefined);
  const right = tail === undefined ? [] : hexGroups(tail, true);
  if (left === undefined || right === undefined) return undefined;
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  let value = 0n;
  for (const group of [...left, ...new Array<number>(missing).fill(0), ...right]) {
    value = (value << 16n) | BigInt(group);
  }
  return value;
}

/** Parses a dotted-quad IPv4 or an RFC 4291 IPv6 text address (no zone id); undefined if neither. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/**
 * Parses `address/maskBits`, or explains why not. Like EventBridge's matcher (aws/event-ruler
 * `CIDR.cidr`), the mask must be below the address width: `/0`–`/31` for IPv4, `/0`–`/127` for IPv6;
 * match one exact address with a plain string instead.
 */
export function parseCidr(text: string): CidrBlock | string {
  const slash = text.split("/");
  if (slash.length !== 2) return `malformed CIDR "${text}": exactly one "/" required`;
  const [address = "", bits = ""] = slash;
  if (!/^\d+$/.test(bits)) return `malformed CIDR "${text}": mask bits must be a non-negative integer`;
  const ip = parseIp(address);
  if (ip === undefined) return `malformed CIDR "${text}": "${address}" is not an IP address`;
  const maskBits = Number(bits);
  const width = ip.family === 4 ? 32 : 128;
  if (maskBits >= width) return `malformed CIDR "${text}": IPv${ip.family} mask bits must be < ${width}`;
  return { ...ip, maskBits };
}

/** True when `address` lies in `block` (same family, equal in the block's fixed leading bits). */
export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.family !== address.family) return false;
  const shift = BigInt((block.family === 4 ? 32 : 128) - block.maskBits);
  return block.value >> shift === address.value >> shift;
}
