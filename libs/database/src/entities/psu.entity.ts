import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A payment service user: the bank customer who grants consents. */
@Entity({ name: 'psu' })
@Index('psu_username_key', ['username'], { unique: true })
export class PsuEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'psu_id' })
  psuId!: string;

  @Column({ type: 'text' })
  username!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  /** argon2id hash of the password. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  /** TOTP seed, encrypted with the secrets key (never stored in clear). */
  @Column({ name: 'totp_secret_enc', type: 'text' })
  totpSecretEnc!: string;

  @Column({ name: 'failed_login_count', type: 'integer', default: 0 })
  failedLoginCount!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  /** Last TOTP time step accepted, so a code cannot be used twice. */
  @Column({ name: 'last_totp_step', type: 'bigint', nullable: true })
  lastTotpStep!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
